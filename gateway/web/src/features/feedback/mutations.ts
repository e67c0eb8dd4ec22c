// Feedback's writes through useMutation; each refreshes every feedback list (keys.feedbackAll)
// before it counts as done, so the button stays busy until the list shows the change.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { FeedbackCreate, FeedbackPatch } from '../../api/bodies'
import { api } from '../../api/client'
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
