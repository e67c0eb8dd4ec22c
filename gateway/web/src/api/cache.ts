// Writers for TanStack Query's cache: put a key result or an objective into every cached query
// that shows it. Used by mutations (the server's answer) and by live events (someone's change).
import type { QueryClient } from '@tanstack/react-query'
import { keys } from './queries'
import type { KeyResult, Objective } from './types'
import { older, rollUp } from './versions'

function upsertKr(list: KeyResult[], kr: KeyResult, removed: boolean): KeyResult[] {
  const i = list.findIndex((k) => k.id === kr.id)
  if (removed) return i < 0 ? list : list.filter((k) => k.id !== kr.id)
  if (i < 0) return [...list, kr]
  if (older(kr, list[i])) return list
  const next = list.slice()
  next[i] = { ...list[i], ...kr }
  return next
}

function patchObjective(obj: Objective, data: Partial<Objective>): Objective {
  if (older(data, obj)) return obj
  // Events carry an objective without its key results: keep the ones we have.
  const { key_results: _ignored, ...fields } = data as Objective
  return { ...obj, ...fields, key_results: obj.key_results }
}

/** Put a key result into every cached list and objective that shows it. */
export function putKeyResult(qc: QueryClient, kr: KeyResult, removed = false): void {
  const objId = kr.objective_id
  const touch = (o: Objective): Objective =>
    o.id === objId ? rollUp({ ...o, key_results: upsertKr(o.key_results, kr, removed) }) : o
  qc.setQueriesData<Objective[]>({ queryKey: keys.objectivesAll }, (list) => list?.map(touch))
  if (objId) qc.setQueryData<Objective>(keys.objective(objId), (o) => (o ? touch(o) : o))
  qc.setQueriesData<KeyResult[]>({ queryKey: keys.myKrsAll }, (list) =>
    removed ? list?.filter((k) => k.id !== kr.id) : list?.map((k) => (k.id === kr.id ? { ...k, ...kr } : k)),
  )
  qc.setQueryData<KeyResult>(keys.kr(kr.id), (k) => (k ? { ...k, ...kr } : k))
}

/** Put an objective (without touching its key results) into every cache that shows it. */
export function putObjective(qc: QueryClient, data: Partial<Objective> & { id: number }, removed = false): void {
  qc.setQueriesData<Objective[]>({ queryKey: keys.objectivesAll }, (list) => {
    if (!list) return list
    if (removed) return list.filter((o) => o.id !== data.id)
    return list.map((o) => (o.id === data.id ? patchObjective(o, data) : o))
  })
  qc.setQueryData<Objective>(keys.objective(data.id), (o) => (o ? patchObjective(o, data) : o))
}
