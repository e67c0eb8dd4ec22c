// Live-data key results (contract §9): connectors' REST API, typed from its OpenAPI
// document (schema/connectors.ts); its query keys are in the one key factory (api/queries). Server state only through
// TanStack Query; components never fetch.
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { ApiError, api } from '../../api/client'
import { keys } from '../../api/queries'
import type { components } from '../../api/schema/connectors'

type C = components['schemas']
export type Source = C['Source']
export type SourceIn = C['SourceIn']
export type SourcePatch = C['SourcePatch']
export type SourceKind = Source['kind']
export type Binding = C['Binding']
export type BindingIn = C['BindingIn']
export type TestResult = C['TestResult']
export type RunResult = C['RunResult']

export const SOURCE_KINDS: SourceKind[] = ['sql', 'prometheus', 'http_json', 'github', 'jira', 'webhook']

const BASE = '/api/connectors'

export const useSources = () => useQuery({ queryKey: keys.connectorSources, queryFn: () => api.get<Source[]>(`${BASE}/sources`) })

export const useSource = (id: number | null) =>
  useQuery({ queryKey: keys.connectorSource(id ?? 0), queryFn: () => api.get<Source>(`${BASE}/sources/${id}`), enabled: !!id })

/** The key result's binding, or null when it has none (404). */
export const useBinding = (krId: number, enabled = true) =>
  useQuery({
    queryKey: keys.connectorBinding(krId),
    enabled,
    queryFn: async () => {
      try {
        return await api.get<Binding>(`${BASE}/key-results/${krId}/binding`)
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null
        throw err
      }
    },
  })

/** Connectors' writes, through useMutation: each refreshes what it changed (the one key factory). */
export function useSaveSource() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: SourceIn | SourcePatch }) =>
      id === null ? api.post<Source>(`${BASE}/sources`, body) : api.patch<Source>(`${BASE}/sources/${id}`, body),
    onSuccess: (_out, { id }) => qc.invalidateQueries({ queryKey: id === null ? keys.connectorSources : keys.connectorsAll }),
  })
}

export function useDeleteSource() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.del<void>(`${BASE}/sources/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.connectorSources }),
  })
}

/** Try a source's query (changes nothing): the value it reads now, or why it cannot. */
export const useTestSource = () =>
  useMutation({
    mutationFn: ({ id, query, keyResultId }: { id: number; query: string | null; keyResultId?: number }) =>
      api.post<TestResult>(`${BASE}/sources/${id}/test`, { query, key_result_id: keyResultId ?? null }),
  })

function refreshKr(qc: QueryClient, krId: number, objectiveId: number) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: keys.connectorBinding(krId) }),
    qc.invalidateQueries({ queryKey: keys.kr(krId) }),
    qc.invalidateQueries({ queryKey: keys.checkins(krId) }),
    qc.invalidateQueries({ queryKey: keys.objective(objectiveId) }),
    qc.invalidateQueries({ queryKey: keys.objectivesAll }),
  ])
}

type KrRef = { krId: number; objectiveId: number }

export function useSaveBinding() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ krId, body }: KrRef & { body: BindingIn }) => api.put<Binding>(`${BASE}/key-results/${krId}/binding`, body),
    onSuccess: (saved, { krId, objectiveId }) => {
      qc.setQueryData(keys.connectorBinding(krId), saved)
      return refreshKr(qc, krId, objectiveId)
    },
  })
}

export function useRemoveBinding() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ krId }: KrRef) => api.del<void>(`${BASE}/key-results/${krId}/binding`),
    onSuccess: (_out, { krId, objectiveId }) => {
      qc.setQueryData(keys.connectorBinding(krId), null)
      return refreshKr(qc, krId, objectiveId)
    },
  })
}

export function useRunBinding() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ krId }: KrRef) => api.post<RunResult>(`${BASE}/key-results/${krId}/binding/run`),
    onSuccess: (_out, { krId, objectiveId }) => refreshKr(qc, krId, objectiveId),
  })
}
