import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EditAck } from '../api/types'
import { EditStore, fieldKey, type EditOp, type Transport } from './editStore'
import { parseNumberInput } from './numbers'

class FakeTransport implements Transport {
  sent: { op: EditOp; resolve: (a: EditAck) => void }[] = []
  isConnected() {
    return true
  }
  send(op: EditOp) {
    return new Promise<EditAck>((resolve) => this.sent.push({ op, resolve }))
  }
}

describe('numbers as typed', () => {
  it('reads only finished, finite numbers', () => {
    expect(parseNumberInput('42')).toEqual({ ok: true, value: 42 })
    expect(parseNumberInput('1,200')).toEqual({ ok: true, value: 1200 })
    expect(parseNumberInput('-3.5')).toEqual({ ok: true, value: -3.5 })
    for (const text of ['1e309', '-1e309', '', '-', '1.', '1e', 'abc', '1.2.3', 'Infinity', 'NaN']) expect(parseNumberInput(text).ok, text).toBe(false)
  })
})

describe('an unfinished number is never sent', () => {
  const TARGET = fieldKey('key_result', 7, 'target')
  let transport: FakeTransport
  let store: EditStore
  beforeEach(() => {
    vi.useFakeTimers()
    transport = new FakeTransport()
    store = new EditStore({ transport, storage: null, debounceMs: 400 })
    store.ensure('key_result', 7, 'target', 100, 2, false)
  })
  afterEach(() => vi.useRealTimers())

  it('sends nothing for 1e309, not even the 1e30 typed on the way', () => {
    store.input(TARGET, 1e30) // "1e30": a number, scheduled
    store.invalidInput(TARGET) // "1e309": not one
    vi.advanceTimersByTime(2000)
    expect(transport.sent).toHaveLength(0)
    expect(store.isInvalid(TARGET)).toBe(true)
    expect(store.value(TARGET)).toBe(100)
  })

  it('a refused value is reverted to the saved one in one step, its note gone', async () => {
    store.input(TARGET, 5)
    vi.advanceTimersByTime(400)
    transport.sent[0].resolve({ ok: false, error: { status: 422, detail: 'the target must differ from the start' } })
    await vi.runAllTimersAsync()
    expect(store.fieldError(TARGET)).toContain('differ')
    store.revert(TARGET)
    expect(store.value(TARGET)).toBe(100)
    expect(store.fieldError(TARGET)).toBeNull()
    expect(store.saveState()).toBe('saved')
  })

  it('a new keystroke clears the note about the previous value', async () => {
    store.input(TARGET, 5)
    vi.advanceTimersByTime(400)
    transport.sent[0].resolve({ ok: false, error: { status: 422, detail: 'nope' } })
    await vi.runAllTimersAsync()
    store.invalidInput(TARGET)
    expect(store.fieldError(TARGET)).toBeNull()
  })
})
