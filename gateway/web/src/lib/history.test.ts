import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../api/types'
import { historyLines, keyResultTitles } from './history'

let nextId = 100
const entry = (at: string, over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: nextId--, entity: 'objective', entity_id: 1, action: 'updated', actor_id: 4, actor: null, at,
  changes: [{ field: 'title', before: null, after: null }], ...over,
})
const title = (at: string, before: string, after: string, over: Partial<HistoryEntry> = {}) =>
  entry(at, { changes: [{ field: 'title', before, after }], ...over })

describe('historyLines', () => {
  it('reads one person typing a title as one change, from the first text to the last', () => {
    const lines = historyLines([
      title('2027-01-10T09:03:00Z', 'Grow revenue in', 'Grow revenue in Korea'),
      title('2027-01-10T09:02:30Z', 'Grow revenue', 'Grow revenue in'),
      title('2027-01-10T09:02:00Z', 'Grow', 'Grow revenue'),
    ])
    expect(lines).toHaveLength(1)
    expect(lines[0].edits).toBe(3)
    expect(lines[0].changes).toEqual([{ field: 'title', before: 'Grow', after: 'Grow revenue in Korea' }])
    expect(lines[0].entry.at).toBe('2027-01-10T09:03:00Z')
  })

  it('keeps apart other people, other fields, other things, other actions and long pauses', () => {
    const lines = historyLines([
      title('2027-01-10T10:00:00Z', 'b', 'c'),
      title('2027-01-10T09:40:00Z', 'a', 'b'), // 20 minutes earlier
      title('2027-01-10T09:39:00Z', 'x', 'a', { actor_id: 5 }),
      entry('2027-01-10T09:38:00Z', { changes: [{ field: 'description', before: '', after: 'why' }], actor_id: 5 }),
      title('2027-01-10T09:37:00Z', 'k', 'l', { entity: 'key_result', entity_id: 7, actor_id: 5 }),
      title('2027-01-10T09:36:00Z', 'w', 'x', { actor_id: 5, action: 'created' }),
    ])
    expect(lines.map((l) => l.edits)).toEqual([1, 1, 1, 1, 1, 1])
  })
})

describe('keyResultTitles', () => {
  it('names a deleted key result by the last title its history shows', () => {
    const titles = keyResultTitles([{ id: 7, title: 'Now' }], [
      title('2027-01-10T09:03:00Z', 'Old', 'Gone title', { entity: 'key_result', entity_id: 8 }),
      title('2027-01-10T09:02:00Z', null as unknown as string, 'Old', { entity: 'key_result', entity_id: 8, action: 'created' }),
      title('2027-01-10T09:01:00Z', 'Before', 'Then', { entity: 'key_result', entity_id: 7 }),
    ])
    expect(titles.get(7)).toBe('Now')
    expect(titles.get(8)).toBe('Gone title')
  })
})
