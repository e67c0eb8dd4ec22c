// The drafting page's writes through TanStack Query's useMutation: each request once, with what
// the caches learn from the answer (the one key factory, api/queries `keys`, and api/cache).
// A delete's toast, with its Undo, is raised here: the card it came from is gone by then.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { KeyResultCreate, KeyResultPatch, ObjectiveCreate } from '../../api/bodies'
import { putKeyResult, putObjective } from '../../api/cache'
import { api, ApiError } from '../../api/client'
import { keys } from '../../api/queries'
import type { KeyResult, Objective } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'
import { editStore } from '../../live/instance'

export function useAddObjective() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: ObjectiveCreate) => api.post<Objective>('/api/okr/objectives', body),
    onSuccess: (obj, { cycle, team_id }) => {
      qc.setQueryData<Objective[]>(keys.objectives(cycle, team_id), (list) =>
        list && !list.some((o) => o.id === obj.id) ? [...list, { ...obj, key_results: obj.key_results ?? [] }] : list,
      )
      void qc.invalidateQueries({ queryKey: keys.objectivesAll })
    },
  })
}

function useRestoreObjective() {
  const qc = useQueryClient()
  const { t } = useI18n()
  return useMutation({
    mutationFn: (id: number) => api.post<Objective>(`/api/okr/objectives/${id}/restore`),
    onError: (err) => toastError(err, t('draft.action_failed')),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.objectivesAll }),
  })
}

/** Delete an objective; the toast offers Undo (restore). */
export function useDeleteObjective() {
  const qc = useQueryClient()
  const { t } = useI18n()
  const restore = useRestoreObjective()
  return useMutation({
    mutationFn: (obj: Objective) => api.del<void>(`/api/okr/objectives/${obj.id}`),
    onSuccess: (_out, obj) => {
      putObjective(qc, obj, true)
      editStore.drop('objective', obj.id)
      toast({ text: t('draft.deleted', { title: obj.title }), action: { label: t('common.undo'), run: () => restore.mutate(obj.id) } })
    },
    onError: (err) => toastError(err, t('draft.action_failed')),
  })
}

export function useAddKeyResult() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ objectiveId, body }: { objectiveId: number; body: KeyResultCreate }) =>
      api.post<KeyResult>(`/api/okr/objectives/${objectiveId}/key-results`, body),
    onSuccess: (kr, { objectiveId }) => {
      if (kr?.id) putKeyResult(qc, { ...kr, objective_id: kr.objective_id ?? objectiveId })
      void qc.invalidateQueries({ queryKey: keys.objectivesAll })
    },
  })
}

/** Undo a key result's delete: restore it, or, on a server without restore, add it back as it was. */
function useRestoreKeyResult() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async (kr: KeyResult) => {
      try {
        return await api.post<KeyResult>(`/api/okr/key-results/${kr.id}/restore`)
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 404 || err.status === 405))) throw err
        const { title, kind, start, target, unit, weight, owner_id } = kr
        return api.post<KeyResult>(`/api/okr/objectives/${kr.objective_id}/key-results`, { title, kind, start, target, unit, weight, owner_id })
      }
    },
    onSuccess: (out) => {
      if (out?.id) putKeyResult(qc, out)
    },
    onError: (err) => toastError(err, 'Undo failed'),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.objectivesAll }),
  })
}

/** Delete a key result; the toast offers Undo. */
export function useDeleteKeyResult() {
  const qc = useQueryClient()
  const { t } = useI18n()
  const restore = useRestoreKeyResult()
  return useMutation({
    mutationFn: (kr: KeyResult) => api.del<void>(`/api/okr/key-results/${kr.id}`),
    onSuccess: (_out, kr) => {
      putKeyResult(qc, kr, true)
      editStore.drop('key_result', kr.id)
      toast({ text: t('draft.kr_deleted', { title: kr.title }), action: { label: t('common.undo'), run: () => restore.mutate(kr) } })
    },
    onError: (err) => toastError(err, t('draft.action_failed')),
  })
}

/** A milestone key result's items, saved as a whole list (kept ids keep their ticks). */
export function useSaveMilestones() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ kr, items }: { kr: KeyResult; items: NonNullable<KeyResultPatch['items']> }) =>
      api.patch<KeyResult>(`/api/okr/key-results/${kr.id}`, { version: kr.version, items } satisfies KeyResultPatch),
    onSuccess: (out) => {
      if (out?.id) putKeyResult(qc, out)
    },
  })
}
