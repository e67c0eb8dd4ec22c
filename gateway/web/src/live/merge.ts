import DiffMatchPatch from 'diff-match-patch'
import { RULES } from '../lib/rules'

// One instance: diff-match-patch keeps only settings on it, and they are okr's (rules.json).
const dmp = new DiffMatchPatch()
dmp.Match_Threshold = RULES.merge.matchThreshold
dmp.Patch_DeleteThreshold = RULES.merge.patchDeleteThreshold
dmp.Diff_Timeout = RULES.merge.diffTimeoutSeconds

/**
 * Three-way merge of plain text: the changes from `base` to `remote` are applied
 * to `local`, so that both people's insertions survive. This is the same
 * algorithm and parameters (diff-match-patch, rules.json) the server uses when it
 * merges an `edit` with a `base`, so both ends agree (rules.test.ts checks it).
 */
export function merge3(base: string, remote: string, local: string): string {
  if (remote === base) return local
  if (local === base) return remote
  if (local === remote) return local
  const patches = dmp.patch_make(base, remote)
  const [merged] = dmp.patch_apply(patches, local)
  return merged
}

/**
 * Where a caret at `index` in `before` belongs in `after` (used to keep the
 * cursor in place when a remote change lands in the field being typed in).
 */
export function mapCaret(before: string, after: string, index: number): number {
  if (before === after) return index
  const diffs = dmp.diff_main(before, after)
  return dmp.diff_xIndex(diffs, index)
}
