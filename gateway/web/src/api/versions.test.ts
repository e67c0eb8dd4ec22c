import { QueryClient } from '@tanstack/react-query'
import { describe, expect, it } from 'vitest'
import { EditStore } from '../live/editStore'
import { applyEvent } from '../live/events'
import { keys } from './queries'
import type { Envelope, KeyResult, Objective } from './types'
import { newestObjectives } from './versions'

const kr = (id: number, progress: number, version = 1): KeyResult => ({
  id, objective_id: 1, title: `KR ${id}`, owner_id: 1, kind: 'number', start: 0, target: 10, current: progress * 10, unit: '', weight: 1,
  confidence: 7, last_check_in_at: null, version, progress, health: 'on_track', behind: false, stale: false, items: [], deleted: false,
  forecast: null, carried_from_id: null, source: null,
})
const objective = (title: string, version: number, krs: KeyResult[] = [kr(10, 0.5), kr(11, 0)]): Objective => ({
  id: 1, cycle: '2027-Q1', team_id: 2, owner_id: 1, parent_id: null, title, description: '', status: 'draft', review: null,
  version, progress: 0.25, expected_progress: 0, health: 'on_track', score: null, closing_note: null, carried_from_id: null,
  deleted: false, needs_closing: false, forecast_progress: null, key_results: krs,
})
const event = (type: string, data: { id: number; version: number }): Envelope => ({
  id: `e-${type}-${data.version}`, type, source: 'okr', actor_id: 9, op_id: null, subject_id: data.id, version: data.version,
  scope: { cycle: '2027-Q1', team_id: 2, objective_id: 1 }, changes: [], data: data as unknown as Record<string, unknown>,
})

/** A page showing the team's objectives, a refetch under way, and someone's change arriving meanwhile. */
async function refetchAcross(change: Envelope, fetched: Objective[]): Promise<Objective[]> {
  const qc = new QueryClient()
  const key = keys.objectives('2027-Q1', 2)
  qc.setQueryData(key, [objective('Grow', 3)])
  let answer: (list: Objective[]) => void = () => {}
  const refetch = qc.fetchQuery({
    queryKey: key, structuralSharing: newestObjectives, staleTime: 0,
    queryFn: () => new Promise<Objective[]>((resolve) => { answer = resolve }),
  })
  applyEvent(change, { qc, edits: new EditStore({ storage: null }), meId: 1 })
  answer(fetched) // read by the server before the change was made
  await refetch
  return qc.getQueryData<Objective[]>(key)!
}

describe('the newer copy wins', () => {
  it('a refetch read before a title change does not put the old title back', async () => {
    const { key_results: _krs, ...renamed } = objective('Grow faster', 4)
    const shown = await refetchAcross(event('objective.updated', renamed), [objective('Grow', 3)])
    expect(shown[0].title).toBe('Grow faster')
  })

  it('a refetch read before a check-in keeps the check-in and the objective rolled up with it', async () => {
    const shown = await refetchAcross(event('key_result.updated', kr(11, 1, 2)), [objective('Grow', 3)])
    expect(shown[0].key_results.find((k) => k.id === 11)!.progress).toBe(1)
    expect(shown[0].progress).toBe(0.75)
  })

  it('a refetch that is newer than the event is shown whole', async () => {
    const { key_results: _krs, ...renamed } = objective('Grow faster', 4)
    const shown = await refetchAcross(event('objective.updated', renamed), [objective('Grow more', 5, [kr(10, 0.5), kr(11, 0.2, 3)])])
    expect(shown[0].title).toBe('Grow more')
    expect(shown[0].key_results.find((k) => k.id === 11)!.progress).toBe(0.2)
  })

  it('an event older than what is shown (a late delivery) changes nothing', () => {
    const qc = new QueryClient()
    qc.setQueryData(keys.objective(1), objective('Grow faster', 4, [kr(10, 0.5), kr(11, 1, 2)]))
    const ctx = { qc, edits: new EditStore({ storage: null }), meId: 1 }
    const { key_results: _krs, ...stale } = objective('Grow', 3)
    applyEvent(event('objective.updated', stale), ctx)
    applyEvent(event('key_result.updated', kr(11, 0, 1)), ctx)
    const shown = qc.getQueryData<Objective>(keys.objective(1))!
    expect(shown.title).toBe('Grow faster')
    expect(shown.key_results.find((k) => k.id === 11)!.progress).toBe(1)
  })
})
