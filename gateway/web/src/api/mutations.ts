// Writes shared by several features, through TanStack Query's useMutation. A feature's own
// writes live in its folder (features/*/mutations.ts); every one updates or invalidates the
// caches through the one key factory (./queries `keys`) and the cache writers (./cache).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { putObjective } from './cache'
import { api } from './client'
import { keys } from './queries'
import type { Objective } from './types'

export type ObjectiveAction = 'submit' | 'approve' | 'request-changes' | 'close' | 'carry-over'

export interface ObjectiveActionVars {
  id: number
  action: ObjectiveAction
  body?: Record<string, unknown>
}

/** Move an objective through its life: submit, approve, request changes, close, carry over. */
export function useObjectiveAction() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, action, body = {} }: ObjectiveActionVars) => api.post<Objective>(`/api/okr/objectives/${id}/${action}`, body),
    onSuccess: (obj, { id, action }) => {
      if (obj && typeof obj === 'object' && 'id' in obj && action !== 'carry-over') putObjective(qc, obj)
      void qc.invalidateQueries({ queryKey: keys.objectivesAll })
      void qc.invalidateQueries({ queryKey: keys.objective(id) })
      void qc.invalidateQueries({ queryKey: keys.dashboardAll })
    },
  })
}
