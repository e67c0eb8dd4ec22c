// Which copy of an objective or key result is the newer, by the entity's `version`: one rule for
// the cache writers (events, answers) and for refetches (TanStack Query's `structuralSharing`).
import { replaceEqualDeep } from '@tanstack/react-query'
import { objectiveRollUp } from '../lib/progress'
import type { Objective } from './types'

/** Whether `next` is an older copy than `have` (by the entity's version): an answer read
 * before an event it never saw, or an event arriving after a newer answer. Never shown. */
export function older(next: { version?: number | null }, have: { version?: number | null }): boolean {
  return next.version != null && have.version != null && next.version < have.version
}

/** An objective with its progress and health rolled up again from its key results, okr's way. */
export function rollUp(obj: Objective): Objective {
  return { ...obj, ...objectiveRollUp(obj.key_results.filter((k) => !k.deleted)) }
}

/** A fetched objective, keeping what the cache holds that is newer than it (the objective's
 * fields, or any of its key results), so that a refetch that was under way when an event
 * arrived does not put the page back to before it. */
export function newestObjective(have: Objective | undefined, fetched: Objective): Objective {
  if (!have || have.id !== fetched.id) return fetched
  let kept = false
  const keyResults = fetched.key_results.map((kr) => {
    const mine = have.key_results.find((k) => k.id === kr.id)
    if (mine && older(kr, mine)) {
      kept = true
      return mine
    }
    return kr
  })
  const fields = older(fetched, have) ? { ...have, key_results: keyResults } : { ...fetched, key_results: keyResults }
  return kept ? rollUp(fields) : fields
}

/** `newestObjective` over a fetched list (TanStack Query's `structuralSharing` for objective queries). */
export function newestObjectives(have: unknown, fetched: unknown): unknown {
  const before = Array.isArray(have) ? new Map((have as Objective[]).map((o) => [o.id, o])) : null
  const after = Array.isArray(fetched)
    ? (fetched as Objective[]).map((o) => newestObjective(before?.get(o.id), o))
    : newestObjective(have as Objective | undefined, fetched as Objective)
  return replaceEqualDeep(have, after)
}
