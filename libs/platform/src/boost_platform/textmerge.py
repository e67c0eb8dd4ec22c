"""Three-way text merge with diff-match-patch, for every service whose text several people
write at once (okr's objectives and key results, feedback's retros and feedback bodies).
The web app runs the same algorithm with the same parameters, read from the same
`rules.json` (`gateway/web/src/live/merge.ts`); both are checked against the shared vectors
in `boost_contracts/rules/cases.json`.

The writer's change (base → mine) is turned into patches and applied to the text the
server has now (theirs), so two people typing in one field both keep their text."""

from __future__ import annotations

from boost_contracts.rules import RULES
from diff_match_patch import diff_match_patch


def merge_text(base: str, mine: str, theirs: str) -> str:
    if base == theirs or mine == theirs:  # nothing happened meanwhile, or this very change is replayed
        return mine
    if base == mine:
        return theirs
    dmp = diff_match_patch()
    dmp.Match_Threshold = RULES.merge_match_threshold
    dmp.Patch_DeleteThreshold = RULES.merge_patch_delete_threshold
    dmp.Diff_Timeout = RULES.merge_diff_timeout_seconds
    patches = dmp.patch_make(base, mine)
    merged, _applied = dmp.patch_apply(patches, theirs)
    return str(merged)
