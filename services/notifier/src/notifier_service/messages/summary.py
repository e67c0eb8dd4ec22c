"""The Friday team digest's opening sentences (contract §9 "Summaries"): up to five, in the
team's language, from the week's facts — key results stalled 14+ days, confidence that
dropped by 2 or more, key results likely to miss, the biggest mover, feedback waiting for
an answer. No model: one template per rule and language.

Korean particles follow the last syllable of the word they attach to (`particle`): 을/를,
이/가, 은/는 are chosen by whether it ends in a final consonant (받침) — never "을(를)"."""

from __future__ import annotations

from dataclasses import dataclass, field

from .i18n import percent

MAX_SENTENCES = 5
STALLED_DAYS = 14
CONFIDENCE_DROP = 2

# Particle pairs: (after a final consonant, after a vowel).
PAIRS: dict[str, tuple[str, str]] = {"을/를": ("을", "를"), "이/가": ("이", "가"), "은/는": ("은", "는")}

# How a digit is read in Korean (영 일 이 삼 사 오 육 칠 팔 구): does it end in a consonant?
_DIGIT_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True, "7": True,
                "8": True, "9": False}
# Latin letters read with a final consonant when a word ends in them ("Kim" 킴, "Jan" 잔, "Paul" 폴);
# most others are read with a vowel at the end ("Lee" 리, "Bob" is an exception we accept).
_LATIN_FINAL = set("lmnLMN")


def has_final_consonant(word: str) -> bool:
    """Whether `word` is read ending in a final consonant (closing quotes, brackets and
    punctuation aside). Hangul by its syllable; digits as read in Korean; Latin by a rule
    of thumb (ends in l, m, n, or "ng")."""
    text = word.rstrip(" \t\"'”’)]}>.!?,·…")
    if not text:
        return False
    last = text[-1]
    code = ord(last) - 0xAC00
    if 0 <= code <= 11171:
        return code % 28 != 0
    if last in _DIGIT_FINAL:
        return _DIGIT_FINAL[last]
    if text.lower().endswith("ng"):
        return True
    return last in _LATIN_FINAL


def particle(word: str, pair: str) -> str:
    """`word` followed by the right particle of `pair` ("을/를", "이/가" or "은/는")."""
    with_consonant, with_vowel = PAIRS[pair]
    return word + (with_consonant if has_final_consonant(word) else with_vowel)


@dataclass
class Stalled:
    title: str
    days: int


@dataclass
class ConfidenceDrop:
    title: str
    before: int
    after: int


@dataclass
class LikelyToMiss:
    title: str
    progress: float  # where its forecast lands, 0..1


@dataclass
class Mover:
    title: str
    owner: str
    before: float  # progress a week ago, 0..1
    after: float


@dataclass
class WeekFacts:
    """What the week's data says about one team, each list worst first."""

    stalled: list[Stalled] = field(default_factory=list)
    drops: list[ConfidenceDrop] = field(default_factory=list)
    likely_to_miss: list[LikelyToMiss] = field(default_factory=list)
    mover: Mover | None = None
    waiting_feedback: int = 0


def _quoted(title: str) -> str:
    return f"“{' '.join(title.split())[:80]}”"


def _stalled(locale: str, items: list[Stalled]) -> str:
    first, more = items[0], len(items) - 1
    if locale == "ko":
        if more:
            return f"{_quoted(first.title)} 외 {more}개 핵심 결과는 {STALLED_DAYS}일 넘게 체크인이 없습니다."
        return f"{particle(_quoted(first.title), '은/는')} {first.days}일째 체크인이 없습니다."
    if more:
        return (f"{_quoted(first.title)} and {more} more key result{'s' if more > 1 else ''} have had no check-in "
                f"for {STALLED_DAYS} days or more.")
    return f"{_quoted(first.title)} has had no check-in for {first.days} days."


def _drop(locale: str, items: list[ConfidenceDrop]) -> str:
    first, more = items[0], len(items) - 1
    if locale == "ko":
        tail = f" 그 밖에 {more}개 핵심 결과의 자신감도 {CONFIDENCE_DROP}점 이상 떨어졌습니다." if more else ""
        return f"{_quoted(first.title)}의 자신감이 {first.before}점에서 {first.after}점까지 떨어졌습니다.{tail}"
    tail = f", and {more} more lost {CONFIDENCE_DROP} points or more" if more else ""
    return f"Confidence in {_quoted(first.title)} fell from {first.before} to {first.after}{tail}."


def _likely(locale: str, items: list[LikelyToMiss]) -> str:
    first, more = items[0], len(items) - 1
    if locale == "ko":
        if more:
            return (f"{_quoted(first.title)} 외 {more}개 핵심 결과가 목표에 못 미칠 것 같습니다. "
                    f"가장 먼 것은 약 {percent(first.progress)}에서 끝날 전망입니다.")
        return f"{particle(_quoted(first.title), '이/가')} 지금 추세라면 약 {percent(first.progress)}에서 끝날 전망입니다."
    if more:
        return (f"{_quoted(first.title)} and {more} more are likely to miss; the furthest lands at about "
                f"{percent(first.progress)}.")
    return f"{_quoted(first.title)} is likely to miss: on its pace it lands at about {percent(first.progress)}."


def _mover(locale: str, mover: Mover) -> str:
    if locale == "ko":
        return (f"{mover.owner} 님이 {particle(_quoted(mover.title), '을/를')} {percent(mover.before)}에서 "
                f"{percent(mover.after)}까지 끌어올려 이번 주 가장 크게 움직였습니다.")
    return f"Biggest mover: {mover.owner} moved {_quoted(mover.title)} from {percent(mover.before)} to {percent(mover.after)}."


def _waiting(locale: str, n: int) -> str:
    if locale == "ko":
        return f"답변을 기다리는 피드백이 {n}건 있습니다."
    return "1 piece of feedback is waiting for an answer." if n == 1 else f"{n} pieces of feedback are waiting for an answer."


def sentences(locale: str, facts: WeekFacts) -> list[str]:
    """Up to five sentences, one per rule that has something to say, in the rules' order."""
    out: list[str] = []
    if facts.stalled:
        out.append(_stalled(locale, facts.stalled))
    if facts.drops:
        out.append(_drop(locale, facts.drops))
    if facts.likely_to_miss:
        out.append(_likely(locale, facts.likely_to_miss))
    if facts.mover is not None:
        out.append(_mover(locale, facts.mover))
    if facts.waiting_feedback > 0:
        out.append(_waiting(locale, facts.waiting_feedback))
    return out[:MAX_SENTENCES]
