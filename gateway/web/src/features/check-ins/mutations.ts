// Check-ins through TanStack Query's useMutation: the request, the optimistic bar and what the
// caches learn from the server's answer live here, once; components show busy and toasts.
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query'
import type { CheckInCreate, CheckInPatch } from '../../api/bodies'
import { putKeyResult } from '../../api/cache'
import { api } from '../../api/client'
import { keys } from '../../api/queries'
import type { CheckIn, CheckInRecorded, KeyResult } from '../../api/types'
import { serverNow } from '../../lib/clock'
import { krProgress } from '../../lib/progress'

export interface CheckInBody {
  value?: number
  confidence?: number
  note?: string
  /** Milestones: tick (or untick) one item; the value becomes the done count. */
  item_id?: number
  done?: boolean
}

/** The key result as it will look once this check-in is recorded (for the bar to move at once). */
function optimistic(kr: KeyResult, body: CheckInBody): KeyResult {
  if (body.item_id !== undefined) {
    const items = (kr.items ?? []).map((i) => (i.id === body.item_id ? { ...i, done: !!body.done } : i))
    const done = items.filter((i) => i.done).length
    return { ...kr, items, current: done, progress: krProgress({ ...kr, items }, done) }
  }
  if (body.value !== undefined) return { ...kr, current: body.value, progress: krProgress(kr, body.value) }
  return kr
}

async function refreshKeyResult(qc: QueryClient, id: number): Promise<void> {
  try {
    putKeyResult(qc, await api.get<KeyResult>(`/api/okr/key-results/${id}`))
  } catch {
    /* the next event or refetch brings it */
  }
}

/** Record a check-in: the bar moves at once, then follows the server's answer (or goes back). */
export function useRecordCheckIn() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ kr, body }: { kr: KeyResult; body: CheckInBody }) =>
      api.post<CheckInRecorded>(`/api/okr/key-results/${kr.id}/check-ins`, body satisfies CheckInCreate),
    onMutate: ({ kr, body }) => {
      putKeyResult(qc, { ...optimistic(kr, body), last_check_in_at: new Date(serverNow()).toISOString() })
      return { before: kr }
    },
    onSuccess: (ci, { kr }) => {
      putKeyResult(qc, ci.key_result)
      void qc.invalidateQueries({ queryKey: keys.checkins(kr.id) })
    },
    onError: (_err, _vars, context) => {
      if (context) putKeyResult(qc, context.before)
    },
  })
}

/** Change a check-in's value, confidence or note. */
export function useUpdateCheckIn() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ checkIn, changes }: { checkIn: CheckIn; changes: { value?: number; confidence?: number | null; note?: string } }) =>
      api.patch<CheckIn>(`/api/okr/check-ins/${checkIn.id}`, changes satisfies CheckInPatch),
    onSuccess: (_out, { checkIn }) => {
      void qc.invalidateQueries({ queryKey: keys.checkins(checkIn.key_result_id) })
      void refreshKeyResult(qc, checkIn.key_result_id)
    },
  })
}

/** Delete (or undo) a check-in. */
export function useDeleteCheckIn() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (checkIn: Pick<CheckIn, 'id' | 'key_result_id'>) => api.del<void>(`/api/okr/check-ins/${checkIn.id}`),
    onSuccess: (_out, checkIn) => {
      void qc.invalidateQueries({ queryKey: keys.checkins(checkIn.key_result_id) })
      void refreshKeyResult(qc, checkIn.key_result_id)
    },
  })
}
