"""The words that make a key result read as a task (§9 `task_like`), in both languages,
in one place. A key result measures an outcome ("Weekly active teams from 40 to 120");
one that names work to do ("Launch the mobile app", "모바일 앱 출시") is a task, done or
not done, and says nothing about whether it worked."""

from __future__ import annotations

import re

# English: a title that starts with a verb of doing.
TASK_VERBS_EN = frozenset("""
add automate build complete conduct create define deliver deploy design develop document draft
establish finish hold host implement install integrate introduce launch make migrate move organise
organize plan prepare publish redesign refactor release replace rewrite roll run set ship start
test update upgrade write
""".split())

# Korean: a title that ends with a verb noun (optionally + 하기 / 완료 / 예정).
TASK_NOUNS_KO = ("출시", "구축", "개발", "도입", "런칭", "론칭", "오픈", "구현", "배포", "적용", "전환", "이전",
                 "작성", "마련", "수립", "정비", "리뉴얼", "설계", "제작", "진행", "개최", "준비", "교체", "설치",
                 "마이그레이션", "업그레이드", "자동화")
KO_TAILS = ("하기", "하다", "한다", "완료", "예정", "추진")

# Numbers written as words count as numbers ("Move CI under ten minutes").
NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty
hundred thousand million billion half double triple twice
""".split())
NUMBER_WORDS_KO = ("하나", "두 배", "세 배", "절반", "십", "백", "천", "만", "억")

_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_KO_TAIL = re.compile(r"[\s.!?…·,]+$")


def has_number(title: str) -> bool:
    if any(ch.isdigit() for ch in title):
        return True
    words = {w.lower() for w in _WORD.findall(title)}
    if words & NUMBER_WORDS:
        return True
    return any(w in title for w in NUMBER_WORDS_KO if len(w) > 1)


def task_like(title: str) -> bool:
    """A title with no number in it that reads as a task (§9)."""
    text = title.strip()
    if not text or has_number(text):
        return False
    first = _WORD.match(text)
    if first and first.group(0).lower().split("-")[0] in TASK_VERBS_EN:
        return True
    tail = _KO_TAIL.sub("", text)
    for suffix in KO_TAILS:
        if tail.endswith(suffix) and len(tail) > len(suffix):
            tail = tail[: -len(suffix)].rstrip()
            break
    return tail.endswith(TASK_NOUNS_KO)
