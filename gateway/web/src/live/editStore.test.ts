import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EditAck } from '../api/types'
import { EditStore, fieldKey, type EditOp, type KeyValueStorage, type Transport } from './editStore'
import { mapCaret, merge3 } from './merge'

class MemoryStorage implements KeyValueStorage {
  data = new Map<string, string>()
  getItem(k: string) {
    return this.data.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.data.set(k, v)
  }
  removeItem(k: string) {
    this.data.delete(k)
  }
}

/** A socket stand-in: records ops; the test answers them. */
class FakeTransport implements Transport {
  connected = true
  sent: { op: EditOp; resolve: (a: EditAck) => void; reject: (e: Error) => void }[] = []
  isConnected() {
    return this.connected
  }
  send(op: EditOp) {
    return new Promise<EditAck>((resolve, reject) => this.sent.push({ op, resolve, reject }))
  }
  last() {
    return this.sent[this.sent.length - 1]
  }
}

const tick = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
const TITLE = fieldKey('objective', 1, 'title')

describe('merge3', () => {
  it('keeps both insertions', () => {
    const base = 'Grow revenue'
    const mine = 'Grow revenue in Korea'
    const theirs = 'Sustainably grow revenue'
    expect(merge3(base, theirs, mine)).toBe('Sustainably grow revenue in Korea')
  })
  it('handles Korean text', () => {
    expect(merge3('매출 성장', '매출 크게 성장', '매출 성장 달성')).toBe('매출 크게 성장 달성')
  })
  it('is a no-op when one side did not change', () => {
    expect(merge3('a', 'a', 'ab')).toBe('ab')
    expect(merge3('a', 'ab', 'a')).toBe('ab')
  })
  it('maps the caret past text inserted before it', () => {
    expect(mapCaret('hello world', 'oh hello world', 6)).toBe(9)
    expect(mapCaret('hello world', 'hello world!', 5)).toBe(5)
  })
})

describe('EditStore', () => {
  let transport: FakeTransport
  let storage: MemoryStorage
  let store: EditStore

  beforeEach(() => {
    vi.useFakeTimers()
    transport = new FakeTransport()
    storage = new MemoryStorage()
    store = new EditStore({ transport, storage, debounceMs: 400 })
    store.ensure('objective', 1, 'title', 'Grow revenue', 3)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('debounces typing into one edit with base and version', () => {
    store.input(TITLE, 'Grow revenue ')
    store.input(TITLE, 'Grow revenue in')
    vi.advanceTimersByTime(399)
    expect(transport.sent).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(transport.sent).toHaveLength(1)
    const { op } = transport.sent[0]
    expect(op).toMatchObject({ entity: 'objective', id: 1, changes: { title: 'Grow revenue in' }, base: { title: 'Grow revenue' }, version: 3 })
    expect(store.saveState()).toBe('saving')
  })

  it('is saved once acknowledged, and adopts the merged value', async () => {
    store.input(TITLE, 'Grow revenue in Korea')
    vi.advanceTimersByTime(400)
    transport.last().resolve({ ok: true, version: 5, value: { title: 'Sustainably grow revenue in Korea' } })
    await vi.runAllTimersAsync()
    expect(store.value(TITLE)).toBe('Sustainably grow revenue in Korea')
    expect(store.saveState()).toBe('saved')
    expect(storage.data.size).toBe(0)
  })

  it('keeps typing done while the edit was in flight', async () => {
    store.input(TITLE, 'Grow revenue in')
    vi.advanceTimersByTime(400)
    store.input(TITLE, 'Grow revenue in Korea')
    transport.last().resolve({ ok: true, version: 4, value: { title: 'Boldly grow revenue in' } })
    await tick()
    expect(store.value(TITLE)).toBe('Boldly grow revenue in Korea')
    vi.advanceTimersByTime(400)
    expect(transport.last().op).toMatchObject({ changes: { title: 'Boldly grow revenue in Korea' }, base: { title: 'Boldly grow revenue in' }, version: 4 })
  })

  it('merges a remote change into a field being edited (both insertions survive)', () => {
    store.input(TITLE, 'Grow revenue in Korea')
    store.remote(TITLE, 'Sustainably grow revenue', 4)
    expect(store.value(TITLE)).toBe('Sustainably grow revenue in Korea')
    vi.advanceTimersByTime(400)
    expect(transport.last().op).toMatchObject({ base: { title: 'Sustainably grow revenue' }, version: 4 })
  })

  it('applies a remote change directly when the field is not being edited', () => {
    store.remote(TITLE, 'New title', 4)
    expect(store.value(TITLE)).toBe('New title')
    store.remote(TITLE, 'Old event', 2)
    expect(store.value(TITLE)).toBe('New title')
  })

  it('buffers remote changes while an edit is in flight and uses the newer one at ack', async () => {
    store.input(TITLE, 'Grow revenue in Korea')
    vi.advanceTimersByTime(400)
    // someone else's edit committed after ours; it already contains ours
    store.remote(TITLE, 'Sustainably grow revenue in Korea!', 6)
    expect(store.value(TITLE)).toBe('Grow revenue in Korea')
    transport.last().resolve({ ok: true, version: 5 })
    await tick()
    expect(store.value(TITLE)).toBe('Sustainably grow revenue in Korea!')
    expect(store.saveState()).toBe('saved')
  })

  it('never sends or applies remote text during an IME composition', async () => {
    store.input(TITLE, 'Grow revenue ㅎ')
    store.compositionStart(TITLE)
    store.input(TITLE, 'Grow revenue 한')
    vi.advanceTimersByTime(2000)
    expect(transport.sent).toHaveLength(0)
    store.remote(TITLE, 'Quickly grow revenue', 4)
    expect(store.value(TITLE)).toBe('Grow revenue 한')
    store.compositionEnd(TITLE, 'Grow revenue 한국')
    expect(store.value(TITLE)).toBe('Quickly grow revenue 한국')
    vi.advanceTimersByTime(400)
    expect(transport.last().op.changes).toEqual({ title: 'Quickly grow revenue 한국' })
  })

  it('defers an ack that changes the text until the composition ends', async () => {
    store.input(TITLE, 'Grow revenue fast')
    vi.advanceTimersByTime(400)
    store.compositionStart(TITLE)
    store.input(TITLE, 'Grow revenue fast 빠')
    transport.last().resolve({ ok: true, version: 4, value: { title: 'Really grow revenue fast' } })
    await tick()
    expect(store.value(TITLE)).toBe('Grow revenue fast 빠')
    store.compositionEnd(TITLE, 'Grow revenue fast 빠르게')
    expect(store.value(TITLE)).toBe('Really grow revenue fast 빠르게')
  })

  it('keeps unacknowledged edits in storage and replays them with the same op_id after a reload', async () => {
    store.input(TITLE, 'Grow revenue in Korea')
    vi.advanceTimersByTime(400)
    const opId = transport.last().op.op_id
    transport.last().reject(new Error('disconnected'))
    await tick()
    expect(store.saveState()).toBe('saving')

    const transport2 = new FakeTransport()
    const reloaded = new EditStore({ transport: transport2, storage, debounceMs: 400 })
    reloaded.ensure('objective', 1, 'title', 'Grow revenue', 3)
    expect(reloaded.value(TITLE)).toBe('Grow revenue in Korea')
    expect(reloaded.hasPending()).toBe(true)
    reloaded.replay()
    expect(transport2.sent).toHaveLength(1)
    expect(transport2.last().op.op_id).toBe(opId)
    transport2.last().resolve({ ok: true, version: 4 })
    await tick()
    expect(reloaded.saveState()).toBe('saved')
    expect(storage.data.size).toBe(0)
  })

  it('keeps text typed but not yet sent across a reload', () => {
    store.input(TITLE, 'Grow revenue 2x')
    const reloaded = new EditStore({ transport, storage, debounceMs: 400 })
    reloaded.ensure('objective', 1, 'title', 'Boldly grow revenue', 4)
    expect(reloaded.value(TITLE)).toBe('Boldly grow revenue 2x')
  })

  it('says offline while edits wait for the socket, and sends them on replay', () => {
    transport.connected = false
    store.input(TITLE, 'Grow revenue now')
    vi.advanceTimersByTime(400)
    expect(store.saveState()).toBe('offline')
    expect(transport.sent).toHaveLength(0)
    transport.connected = true
    store.replay()
    expect(transport.sent).toHaveLength(1)
  })

  it('shows an error and keeps the text when the server refuses, and retries', async () => {
    store.input(TITLE, '')
    vi.advanceTimersByTime(400)
    transport.last().resolve({ ok: false, error: { status: 422, detail: 'Title is required' } })
    await tick()
    expect(store.saveState()).toBe('error')
    expect(store.fieldError(TITLE)).toBe('Title is required')
    expect(store.value(TITLE)).toBe('')
    store.input(TITLE, 'Better')
    vi.advanceTimersByTime(400)
    expect(transport.last().op.changes).toEqual({ title: 'Better' })
  })

  it('rebases on the current value after a conflict', async () => {
    const WEIGHT = fieldKey('key_result', 7, 'weight')
    store.ensure('key_result', 7, 'weight', 1, 2, false)
    store.input(WEIGHT, 2)
    vi.advanceTimersByTime(400)
    expect(transport.last().op.base).toBeUndefined()
    transport.last().resolve({ ok: false, error: 'conflict', current: { weight: 3, version: 5 } })
    await tick()
    expect(store.value(WEIGHT)).toBe(3)
    expect(store.hadConflict(WEIGHT)).toBe(true)
    expect(store.saveState()).toBe('saved')
  })

  it('keeps theirs, and says so, when a number changed here and there before ours was sent', () => {
    const TARGET = fieldKey('key_result', 7, 'target')
    store.ensure('key_result', 7, 'target', 100, 2, false)
    store.input(TARGET, 300)
    store.remote(TARGET, 400, 3) // someone else's, committed while ours waited (debounce, offline)
    expect(store.value(TARGET)).toBe(400)
    expect(store.hadConflict(TARGET)).toBe(true)
    vi.advanceTimersByTime(400)
    expect(transport.sent).toHaveLength(0)
    expect(store.saveState()).toBe('saved')
    store.input(TARGET, 500) // choosing again, knowing theirs
    expect(store.hadConflict(TARGET)).toBe(false)
    vi.advanceTimersByTime(400)
    expect(transport.last().op).toMatchObject({ changes: { target: 500 }, version: 3 })
  })

  it('keeps an unsent number when a remote change leaves that field as it was', () => {
    const TARGET = fieldKey('key_result', 7, 'target')
    store.ensure('key_result', 7, 'target', 100, 2, false)
    store.input(TARGET, 300)
    store.ensure('key_result', 7, 'target', 100, 3, false) // a refetch: the KR moved on, not its target
    expect(store.value(TARGET)).toBe(300)
    expect(store.hadConflict(TARGET)).toBe(false)
    vi.advanceTimersByTime(400)
    expect(transport.last().op).toMatchObject({ changes: { target: 300 }, version: 3 })
  })

  it('takes a remote number at ack time when it came after ours, and says ours was overtaken only if we had moved on', async () => {
    const TARGET = fieldKey('key_result', 7, 'target')
    store.ensure('key_result', 7, 'target', 100, 2, false)
    store.input(TARGET, 300)
    vi.advanceTimersByTime(400)
    store.remote(TARGET, 400, 4) // committed after ours (version 3)
    transport.last().resolve({ ok: true, version: 3 })
    await tick()
    expect(store.value(TARGET)).toBe(400)
    expect(store.hadConflict(TARGET)).toBe(false)
    expect(store.saveState()).toBe('saved')
  })

  it('recognises the echo of its own ops', () => {
    store.input(TITLE, 'x')
    vi.advanceTimersByTime(400)
    expect(store.isMine(transport.last().op.op_id)).toBe(true)
    expect(store.isMine('someone-else')).toBe(false)
  })
})

describe('EditStore transient failures', () => {
  it('keeps the op and resends it with the same op_id when okr is unavailable', async () => {
    vi.useFakeTimers()
    const transport = new FakeTransport()
    const store = new EditStore({ transport, storage: new MemoryStorage(), debounceMs: 400 })
    store.ensure('objective', 1, 'title', 'A', 1)
    store.input(TITLE, 'AB')
    vi.advanceTimersByTime(400)
    const first = transport.last().op.op_id
    transport.last().resolve({ ok: false, error: 'unavailable', status: 503 })
    await tick()
    expect(store.saveState()).toBe('saving')
    vi.advanceTimersByTime(2000)
    expect(transport.sent).toHaveLength(2)
    expect(transport.last().op.op_id).toBe(first)
    vi.useRealTimers()
  })
})
