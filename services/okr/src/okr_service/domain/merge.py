"""Three-way text merge with diff-match-patch (the web app runs the same algorithm, with the
same parameters, from the same `rules.json`: `gateway/web/src/live/merge.ts`).

The client's change (base → mine) is turned into patches and applied to the text the
server has now (theirs), so two people typing in one field both keep their text."""

from __future__ import annotations

from boost_contracts.rules import RULES
from diff_match_patch import diff_match_patch


def merge_text(base: str, mine: str, theirs: str) -> str:
    if base == theirs:
        return mine
    if base == mine:
        return theirs
    if mine == theirs:
        return mine
    dmp = diff_match_patch()
    dmp.Match_Threshold = RULES.merge_match_threshold
    dmp.Patch_DeleteThreshold = RULES.merge_patch_delete_threshold
    dmp.Diff_Timeout = RULES.merge_diff_timeout_seconds
    patches = dmp.patch_make(base, mine)
    merged, _applied = dmp.patch_apply(patches, theirs)
    return str(merged)
