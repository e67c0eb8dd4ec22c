import type { QueryClient } from '@tanstack/react-query'
import type { CheckInCreate, CheckInPatch } from './bodies'
import { api } from './client'
import { keys } from './queries'
import type { CheckIn, CheckInRecorded, KeyResult, Objective } from './types'
import { serverNow } from '../lib/clock'
import { krProgress } from '../lib/progress'
import { putKeyResult, putObjective } from './cache'

export interface CheckInBody {
  value?: number
  confidence?: number
  note?: string
  /** Milestones: tick (or untick) one item; the value becomes the done count. */
  item_id?: number
  done?: boolean
}

/** Record a check-in: the bar moves at once, then follows the server's answer. */
export async function recordCheckIn(qc: QueryClient, kr: KeyResult, body: CheckInBody): Promise<CheckIn> {
  const before = kr
  let optimistic: KeyResult = kr
  if (body.item_id !== undefined) {
    const items = (kr.items ?? []).map((i) => (i.id === body.item_id ? { ...i, done: !!body.done } : i))
    const done = items.filter((i) => i.done).length
    optimistic = { ...kr, items, current: done, progress: krProgress({ ...kr, items }, done) }
  } else if (body.value !== undefined) {
    optimistic = { ...kr, current: body.value, progress: krProgress(kr, body.value) }
  }
  putKeyResult(qc, { ...optimistic, last_check_in_at: new Date(serverNow()).toISOString() })
  try {
    const ci = await api.post<CheckInRecorded>(`/api/okr/key-results/${kr.id}/check-ins`, body satisfies CheckInCreate)
    putKeyResult(qc, ci.key_result)
    void qc.invalidateQueries({ queryKey: keys.checkins(kr.id) })
    return ci
  } catch (err) {
    putKeyResult(qc, before)
    throw err
  }
}

export async function refreshKeyResult(qc: QueryClient, id: number): Promise<KeyResult | undefined> {
  try {
    const kr = await api.get<KeyResult>(`/api/okr/key-results/${id}`)
    putKeyResult(qc, kr)
    return kr
  } catch {
    return undefined
  }
}

export async function updateCheckIn(qc: QueryClient, ci: CheckIn, changes: { value?: number; confidence?: number | null; note?: string }): Promise<CheckIn> {
  const out = await api.patch<CheckIn>(`/api/okr/check-ins/${ci.id}`, changes satisfies CheckInPatch)
  void qc.invalidateQueries({ queryKey: keys.checkins(ci.key_result_id) })
  void refreshKeyResult(qc, ci.key_result_id)
  return out
}

export async function deleteCheckIn(qc: QueryClient, ci: Pick<CheckIn, 'id' | 'key_result_id'>): Promise<void> {
  await api.del(`/api/okr/check-ins/${ci.id}`)
  void qc.invalidateQueries({ queryKey: keys.checkins(ci.key_result_id) })
  void refreshKeyResult(qc, ci.key_result_id)
}

export type ObjectiveAction = 'submit' | 'approve' | 'request-changes' | 'close' | 'carry-over'

export async function objectiveAction(qc: QueryClient, id: number, action: ObjectiveAction, body: Record<string, unknown> = {}): Promise<Objective> {
  const obj = await api.post<Objective>(`/api/okr/objectives/${id}/${action}`, body)
  if (obj && typeof obj === 'object' && 'id' in obj && action !== 'carry-over') putObjective(qc, obj)
  void qc.invalidateQueries({ queryKey: keys.objectivesAll })
  void qc.invalidateQueries({ queryKey: keys.objective(id) })
  void qc.invalidateQueries({ queryKey: keys.dashboardAll })
  return obj
}
