// Live-data key results (contract §9): connectors' REST API, typed from its OpenAPI
// document (schema/connectors.ts); its query keys are in the one key factory (api/queries). Server state only through
// TanStack Query; components never fetch.
import { useQuery, type QueryClient } from '@tanstack/react-query'
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

export async function createSource(qc: QueryClient, body: SourceIn): Promise<Source> {
  const made = await api.post<Source>(`${BASE}/sources`, body)
  await qc.invalidateQueries({ queryKey: keys.connectorSources })
  return made
}

export async function updateSource(qc: QueryClient, id: number, body: SourcePatch): Promise<Source> {
  const changed = await api.patch<Source>(`${BASE}/sources/${id}`, body)
  await qc.invalidateQueries({ queryKey: keys.connectorsAll })
  return changed
}

export async function deleteSource(qc: QueryClient, id: number): Promise<void> {
  await api.del(`${BASE}/sources/${id}`)
  await qc.invalidateQueries({ queryKey: keys.connectorSources })
}

export const testSource = (id: number, query: string | null, keyResultId?: number) =>
  api.post<TestResult>(`${BASE}/sources/${id}/test`, { query, key_result_id: keyResultId ?? null })

async function refreshKr(qc: QueryClient, krId: number, objectiveId: number) {
  await Promise.all([
    qc.invalidateQueries({ queryKey: keys.connectorBinding(krId) }),
    qc.invalidateQueries({ queryKey: keys.kr(krId) }),
    qc.invalidateQueries({ queryKey: keys.checkins(krId) }),
    qc.invalidateQueries({ queryKey: keys.objective(objectiveId) }),
    qc.invalidateQueries({ queryKey: keys.objectivesAll }),
  ])
}

export async function saveBinding(qc: QueryClient, krId: number, objectiveId: number, body: BindingIn): Promise<Binding> {
  const saved = await api.put<Binding>(`${BASE}/key-results/${krId}/binding`, body)
  qc.setQueryData(keys.connectorBinding(krId), saved)
  await refreshKr(qc, krId, objectiveId)
  return saved
}

export async function removeBinding(qc: QueryClient, krId: number, objectiveId: number): Promise<void> {
  await api.del(`${BASE}/key-results/${krId}/binding`)
  qc.setQueryData(keys.connectorBinding(krId), null)
  await refreshKr(qc, krId, objectiveId)
}

export async function runBinding(qc: QueryClient, krId: number, objectiveId: number): Promise<RunResult> {
  const out = await api.post<RunResult>(`${BASE}/key-results/${krId}/binding/run`)
  await refreshKr(qc, krId, objectiveId)
  return out
}
