"""Three-way text merge: the one implementation every service shares (`boost_platform.textmerge`;
the web app runs the same algorithm). Kept here so okr's imports stay as they were."""

from __future__ import annotations

from boost_platform.textmerge import merge_text

__all__ = ["merge_text"]
