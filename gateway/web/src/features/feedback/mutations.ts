// Feedback's writes through useMutation; each refreshes every feedback list (keys.feedbackAll)
// before it counts as done, so the button stays busy until the list shows the change.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { FeedbackCreate, FeedbackPatch } from '../../api/bodies'
import { api, ApiError } from '../../api/client'
import { keys } from '../../api/queries'
import type { Feedback } from '../../api/types'

export function useGiveFeedback() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: FeedbackCreate) => api.post<Feedback>('/api/feedback/feedback', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.feedbackAll }),
  })
}

export function useResolveFeedback() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, resolved }: { id: number; resolved: boolean }) =>
      api.patch<Feedback>(`/api/feedback/feedback/${id}`, { resolved } satisfies FeedbackPatch),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.feedbackAll }),
  })
}

/**
 * Start a team's retro, empty: the first person to put the cursor in it creates it. Someone who
 * did so at the same moment gets the one that won (409 with it), and both write into it.
 */
export function useStartRetro() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async ({ teamId, cycle }: { teamId: number; cycle: string }) => {
      try {
        return await api.post<Feedback>('/api/feedback/feedback', { kind: 'retro', team_id: teamId, cycle, went_well: '', to_improve: '' } satisfies FeedbackCreate)
      } catch (err) {
        const current = err instanceof ApiError && err.status === 409 ? (err.problem as { current?: Feedback }).current : undefined
        if (current) return current
        throw err
      }
    },
    onSuccess: (made, { teamId, cycle }) => {
      qc.setQueryData<Feedback[]>(keys.feedback({ kind: 'retro', team_id: teamId, cycle }), (list) => [made, ...(list ?? []).filter((f) => f.id !== made.id)])
      void qc.invalidateQueries({ queryKey: keys.feedbackAll })
    },
  })
}
