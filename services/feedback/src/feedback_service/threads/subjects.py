"""Thread subjects: `objective:{id}`, `key-result:{id}`, `draft:{cycle}:team:{id}`, and
simple page keys (`team:{id}`, `cycle:{cycle}`, `feedback`, `page:…`).

Known prefixes have one exact form each, so that one page never has two threads
(`objective:007` is refused rather than becoming a second thread of objective 7).
Subjects are ASCII; anything else answers 422."""

from __future__ import annotations

import re
from dataclasses import dataclass

from boost_platform.problems import Problem

MAX_SUBJECT = 200
_ID = r"[1-9][0-9]{0,17}"
_CYCLE = r"[0-9]{4}-Q[1-4]"
_EXACT: dict[str, re.Pattern[str]] = {
    "objective": re.compile(rf"^objective:(?P<id>{_ID})$"),
    "key-result": re.compile(rf"^key-result:(?P<id>{_ID})$"),
    "draft": re.compile(rf"^draft:(?P<cycle>{_CYCLE}):team:(?P<id>{_ID})$"),
    "team": re.compile(rf"^team:(?P<id>{_ID})$"),
    "cycle": re.compile(rf"^cycle:(?P<cycle>{_CYCLE})$"),
}
# Other page keys: a lower-case name and up to four simple segments.
_PAGE = re.compile(r"^[a-z][a-z0-9-]{0,31}(?::[A-Za-z0-9_-]{1,64}){0,4}$")


@dataclass(frozen=True)
class Subject:
    raw: str
    kind: str  # objective | key-result | draft | team | cycle | page
    id: int | None = None
    cycle: str | None = None


def parse_subject(raw: str) -> Subject:
    if len(raw) > MAX_SUBJECT or not raw.isascii():
        raise _bad(raw)
    prefix = raw.split(":", 1)[0]
    pattern = _EXACT.get(prefix)
    if pattern is not None:
        match = pattern.match(raw)
        if match is None:
            raise _bad(raw)
        groups = match.groupdict()
        return Subject(raw, prefix, int(groups["id"]) if groups.get("id") else None, groups.get("cycle"))
    if not _PAGE.match(raw):
        raise _bad(raw)
    return Subject(raw, "page")


def _bad(raw: str) -> Problem:
    msg = ("a thread is objective:{id}, key-result:{id}, draft:{cycle}:team:{id} "
           "or a simple page key such as team:{id}")
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    return Problem(422, f"{shown!r} is not a thread: {msg}", title="Unprocessable Content",
                   errors=[{"loc": ["path", "subject"], "msg": msg, "type": "value_error"}])


def page_link(subject: Subject, objective_id: int | None = None) -> str:
    """The Boost page a thread lives on (mention links, contract §6 `mentioned`)."""
    if subject.kind == "objective":
        return f"/objectives/{subject.id}#chat"
    if subject.kind == "key-result":
        return f"/objectives/{objective_id}?kr={subject.id}#chat" if objective_id else "/"
    if subject.kind == "draft":
        return f"/cycles/{subject.cycle}/teams/{subject.id}/draft"
    if subject.kind == "team":
        return f"/teams/{subject.id}"
    if subject.kind == "cycle":
        return f"/cycles/{subject.cycle}"
    if subject.raw == "feedback" or subject.raw.startswith("feedback:"):
        return "/feedback"
    return "/"
