import { QueryClient } from '@tanstack/react-query'
import { describe, expect, it, vi } from 'vitest'
import { keys } from '../api/queries'
import type { Envelope, KeyResult, Message, Objective } from '../api/types'
import { EditStore, fieldKey } from './editStore'
import { rollUp } from '../api/versions'
import { applyEvent, DASHBOARD_MAX_WAIT_MS, DASHBOARD_SETTLE_MS } from './events'

const kr = (id: number, progress: number, extra: Partial<KeyResult> = {}): KeyResult => ({
  id, objective_id: 1, title: `KR ${id}`, owner_id: 1, kind: 'number', start: 0, target: 10, current: progress * 10, unit: '', weight: 1,
  confidence: 7, last_check_in_at: null, version: 1, progress, health: 'on_track', behind: false, stale: false, items: [], deleted: false, forecast: null, carried_from_id: null, source: null, ...extra,
})
const objective = (): Objective => ({
  id: 1, cycle: '2027-Q1', team_id: 2, owner_id: 1, parent_id: null, title: 'Grow', description: '', status: 'draft', review: null,
  version: 3, progress: 0.25, expected_progress: 0, health: 'on_track', score: null, closing_note: null, carried_from_id: null,
  deleted: false, needs_closing: false, forecast_progress: null, key_results: [kr(10, 0.5), kr(11, 0)],
})
const env = (type: string, data: object, extra: Partial<Envelope> = {}): Envelope => ({
  id: 'e1', type, source: type.startsWith('message') ? 'feedback' : 'okr', actor_id: 9, op_id: null, subject_id: (data as { id: number }).id,
  version: (data as { version?: number }).version ?? null, scope: { cycle: '2027-Q1', team_id: 2, objective_id: 1 }, changes: [], data: data as Record<string, unknown>, ...extra,
})

function setup() {
  vi.useFakeTimers()
  const qc = new QueryClient()
  qc.setQueryData(keys.objectives('2027-Q1', 2), [objective()])
  qc.setQueryData(keys.objective(1), objective())
  const edits = new EditStore({ storage: null })
  return { qc, edits, ctx: { qc, edits, meId: 1 } }
}

describe('live events', () => {
  it('moves a key result and its objective when someone checks in', () => {
    const { qc, ctx } = setup()
    applyEvent(env('key_result.updated', kr(11, 1, { version: 2, current: 10 }), { changes: ['current'] }), ctx)
    const list = qc.getQueryData<Objective[]>(keys.objectives('2027-Q1', 2))!
    expect(list[0].key_results.find((k) => k.id === 11)!.progress).toBe(1)
    expect(list[0].progress).toBe(0.75)
    expect(qc.getQueryData<Objective>(keys.objective(1))!.progress).toBe(0.75)
  })

  it('keeps the key results when an objective event (without them) arrives', () => {
    const { qc, ctx } = setup()
    const { key_results: _krs, ...data } = { ...objective(), title: 'Grow faster', version: 4 }
    applyEvent(env('objective.updated', data, { changes: ['title'] }), ctx)
    const o = qc.getQueryData<Objective>(keys.objective(1))!
    expect(o.title).toBe('Grow faster')
    expect(o.key_results).toHaveLength(2)
  })

  it('merges a remote title change into the field being edited, and ignores its own echo', () => {
    const { edits, ctx } = setup()
    const key = fieldKey('objective', 1, 'title')
    edits.ensure('objective', 1, 'title', 'Grow revenue', 3)
    edits.input(key, 'Grow revenue in Korea')
    applyEvent(env('objective.updated', { ...objective(), title: 'Quickly grow revenue', version: 4 }, { changes: ['title'] }), ctx)
    expect(edits.value(key)).toBe('Quickly grow revenue in Korea')
    // An event carrying one of our own op_ids never touches the field.
    edits.flushNow(key)
    applyEvent(env('objective.updated', { ...objective(), title: 'stale echo', version: 5 }, { changes: ['title'], op_id: 'not-mine' }), ctx)
    expect(edits.value(key)).toBe('Quickly grow revenue in Korea')
  })

  it('removes a deleted objective from lists', () => {
    const { qc, ctx } = setup()
    applyEvent(env('objective.deleted', { ...objective(), deleted: true, version: 5 }), ctx)
    expect(qc.getQueryData<Objective[]>(keys.objectives('2027-Q1', 2))).toHaveLength(0)
  })

  it('appends a new chat message once', () => {
    const { qc, ctx } = setup()
    const subject = 'objective:1'
    qc.setQueryData<Message[]>(keys.messages(subject), [])
    const msg: Omit<Message, 'reactions'> = { id: 5, subject, author_id: 9, body: 'hi', mentions: [], created_at: '2027-01-01T00:00:00Z', edited_at: null, deleted: false }
    applyEvent(env('message.created', msg, { scope: { thread: subject } }), ctx)
    applyEvent(env('message.created', msg, { scope: { thread: subject } }), ctx)
    expect(qc.getQueryData<Message[]>(keys.messages(subject))).toHaveLength(1)
  })

  it('rolls objective progress up as the weighted mean and health as the worst', () => {
    const o = rollUp({ ...objective(), key_results: [kr(1, 1, { weight: 3 }), kr(2, 0, { health: 'off_track' })] })
    expect(o.progress).toBe(0.75)
    expect(o.health).toBe('off_track')
  })

  it('refetches the dashboard only once the last event is older than the lag okr may answer with', () => {
    const { qc, ctx } = setup()
    const dashboards = vi.spyOn(qc, 'invalidateQueries')
    const refetched = () => dashboards.mock.calls.filter(([f]) => JSON.stringify(f?.queryKey) === JSON.stringify(keys.dashboardAll)).length
    const checkIn = (v: number) => applyEvent(env('key_result.updated', kr(11, 0.1 * v, { version: v + 1 }), { id: `e${v}` }), ctx)
    checkIn(1)
    vi.advanceTimersByTime(900)
    checkIn(2) // 0.9 s later: the refetch waits until this one has settled too
    vi.advanceTimersByTime(DASHBOARD_SETTLE_MS - 1)
    expect(refetched()).toBe(0)
    vi.advanceTimersByTime(900 + 1)
    expect(refetched()).toBe(1)
    // A stream of events: refetched at least every few seconds, and once after the last.
    for (let i = 0; i < 30; i++) {
      checkIn(3 + i)
      vi.advanceTimersByTime(300)
    }
    const during = refetched() - 1
    expect(during).toBeGreaterThanOrEqual(1)
    vi.advanceTimersByTime(DASHBOARD_MAX_WAIT_MS)
    expect(refetched() - 1).toBe(during + 1)
    vi.useRealTimers()
  })
})

