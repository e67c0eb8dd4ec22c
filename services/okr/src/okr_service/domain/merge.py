"""Three-way text merge with diff-match-patch (the web app runs the same algorithm).

The client's change (base → mine) is turned into patches and applied to the text the
server has now (theirs), so two people typing in one field both keep their text."""

from __future__ import annotations

from diff_match_patch import diff_match_patch


def merge_text(base: str, mine: str, theirs: str) -> str:
    if base == theirs:
        return mine
    if base == mine:
        return theirs
    dmp = diff_match_patch()
    dmp.Match_Threshold = 0.5
    dmp.Patch_DeleteThreshold = 0.5
    patches = dmp.patch_make(base, mine)
    merged, _applied = dmp.patch_apply(patches, theirs)
    return str(merged)
