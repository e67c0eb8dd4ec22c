"""Grammar that depends on the words filled in, for every text Boost writes for people:
Korean particles chosen by the last syllable's final consonant (을/를, 이/가, 은/는, 과/와,
으로/로, …), English possessives ("Sales' OKRs", "Emma's"). The web app has the same rule
(`gateway/web/src/lib/grammar.ts`).

Templates use it through `fill`: `{kind:을/를}` is the value and its particle, `{title:^을/를}`
only the particle (after a closing quote: `*{title}*{title:^을/를}`), `{team:'s}` the English
possessive."""

from __future__ import annotations

import string
from typing import Any, Literal

Sound = Literal["none", "rieul", "other"]
_DIGITS: dict[str, Sound] = {"0": "other", "1": "rieul", "2": "none", "3": "other", "4": "none", "5": "none",
                             "6": "other", "7": "rieul", "8": "rieul", "9": "none"}
_LATIN: dict[str, Sound] = {"l": "rieul", "r": "rieul", "m": "other", "n": "other"}


def final_sound(word: str) -> Sound:
    """The final consonant of the last pronounceable character (digits and Latin letters as read in Korean)."""
    for ch in reversed(word.strip()):
        code = ord(ch)
        if 0xAC00 <= code <= 0xD7A3:
            jong = (code - 0xAC00) % 28
            return "none" if jong == 0 else "rieul" if jong == 8 else "other"
        if ch in _DIGITS:
            return _DIGITS[ch]
        if ch.isascii() and ch.isalpha():
            return _LATIN.get(ch.lower(), "none")
    return "none"


def particle(word: str, pair: str) -> str:
    """The particle of a pair written with/without a final consonant ("을/를") that fits `word`."""
    if "/" not in pair:
        return pair
    with_final, without = pair.split("/", 1)
    sound = final_sound(word)
    if with_final == "으로":
        return "으로" if sound == "other" else "로"
    return without if sound == "none" else with_final


def josa(word: str, pair: str) -> str:
    return word + particle(word, pair)


def possessive(name: str) -> str:
    return f"{name}'" if name.strip().lower().endswith("s") else f"{name}'s"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "'s":
            return possessive(str(value))
        if "/" in format_spec:
            if format_spec.startswith("^"):
                return particle(str(value), format_spec[1:])
            return josa(str(value), format_spec)
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def fill(template: str, **values: Any) -> str:
    """`template.format(**values)` with `{x:을/를}`, `{x:^을/를}` and `{x:'s}` (see the module's doc)."""
    return _FORMATTER.format(template, **values)
