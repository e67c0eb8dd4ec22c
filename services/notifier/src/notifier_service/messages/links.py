"""Deep links to the exact page (contract §6): `BOOST_PUBLIC_URL` + path."""

from __future__ import annotations

import re
from urllib.parse import urlencode


def url(public_url: str, path: str) -> str:
    return public_url.rstrip("/") + path


def draft(cycle: str, team_id: int) -> str:
    return f"/cycles/{cycle}/teams/{team_id}/draft"


def objective(objective_id: int, kr_id: int | None = None) -> str:
    return f"/objectives/{objective_id}" + (f"?kr={kr_id}" if kr_id else "")


def this_quarter(cycle: str, kr_id: int | None = None) -> str:
    return f"/cycles/{cycle}" + (f"?kr={kr_id}" if kr_id else "")


def team(team_id: int, cycle: str) -> str:
    return f"/teams/{team_id}?{urlencode({'cycle': cycle})}"


def feedback(team_id: int | None = None, cycle: str | None = None) -> str:
    query = {k: v for k, v in (("team", team_id), ("cycle", cycle)) if v is not None}
    return "/feedback" + (f"?{urlencode(query)}" if query else "")


_DRAFT = re.compile(r"^draft:(\d{4}-Q[1-4]):team:(\d+)$")


def thread(subject: str) -> str:
    """The page of a chat thread: an objective's (or its key result's) chat, or the draft page."""
    kind, _, rest = subject.partition(":")
    if kind == "objective" and rest.isdigit():
        return f"/objectives/{rest}#chat"
    match = _DRAFT.match(subject)
    if match:
        return draft(match.group(1), int(match.group(2)))
    return "/"


def kind_link(kind: str, *, cycle: str, team_id: int | None = None, objective_id: int | None = None,
              kr_id: int | None = None) -> str:
    """The §6 link of a reminder kind."""
    if kind in ("drafting_open", "approval_due") and team_id is not None:
        return draft(cycle, team_id)
    if kind in ("approval_requested", "approval_decided", "feedback_received") and objective_id is not None:
        return objective(objective_id)
    if kind == "weekly_check_in":
        return this_quarter(cycle, kr_id)
    if kind in ("review_mid_quarter", "team_digest") and team_id is not None:
        return team(team_id, cycle)
    if kind == "retro_open":
        return feedback(team_id, cycle)
    if kind == "feedback_received":
        return feedback()
    return this_quarter(cycle)
