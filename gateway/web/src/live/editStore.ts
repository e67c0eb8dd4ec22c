import type { EditAck } from '../api/types'
import { newId } from './ids'
import { merge3 } from './merge'

/**
 * The drafting page's edits: debounced, sent over the socket as `edit` ops,
 * kept in localStorage until acknowledged (so they survive a reload and are
 * replayed with the same op_id after a reconnect), and merged with remote
 * changes (three-way, diff-match-patch) so nobody's text is lost. Nothing is
 * sent or applied to a field while an IME composition is active in it.
 *
 * Plain TypeScript with injected transport, storage and timers, so it is unit tested.
 */

/** What the store edits: okr's objectives and key results (over the socket), feedback's retros and bodies (REST). */
export type Entity = 'objective' | 'key_result' | 'feedback'
const ENTITIES: readonly string[] = ['objective', 'key_result', 'feedback']
export type Value = string | number | boolean | null

export interface EditOp {
  op_id: string
  entity: Entity
  id: number
  changes: Record<string, Value>
  base?: Record<string, string>
  version: number
}

export interface Transport {
  isConnected(): boolean
  /** Resolves with the server's ack; rejects when the socket drops or times out (the op stays pending). */
  send(op: EditOp): Promise<EditAck>
}

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export type SaveState = 'saved' | 'saving' | 'offline' | 'error'

interface FieldState {
  key: string
  entity: Entity
  id: number
  field: string
  text: boolean
  base: Value
  baseVersion: number
  local: Value
  inflight: EditOp | null
  sending: boolean
  composing: boolean
  /** Latest remote value seen while an op was in flight. */
  buffered: { value: Value; version: number } | null
  /** Server updates that wait for the IME composition to end. */
  deferred: (() => void)[]
  error: string | null
  conflict: boolean
  /** What the person is typing can't be saved yet (an unfinished or out-of-range number): nothing is sent. */
  invalid: boolean
}

interface Persisted {
  entity: Entity
  id: number
  field: string
  text: boolean
  base: Value
  baseVersion: number
  local: Value
  inflight: EditOp | null
}

export interface EditStoreOptions {
  transport?: Transport
  storage?: KeyValueStorage | null
  storageKey?: string
  debounceMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

const RETRY_MS = 2000

/** Acks that mean "try again later", not "no". */
export function isTransient(ack: EditAck): boolean {
  const status = ack.status ?? (typeof ack.error === 'object' ? ack.error?.status : undefined)
  return ack.error === 'unavailable' || status === 503 || status === 429 || status === 401 || status === 502 || status === 504
}

export const fieldKey = (entity: Entity, id: number, field: string): string => `${entity}:${id}:${field}`

const same = (a: Value, b: Value): boolean => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))

function errorText(err: EditAck['error']): string {
  if (!err) return 'error'
  if (typeof err === 'string') return err
  return err.detail || err.title || 'error'
}

export class EditStore {
  private fields = new Map<string, FieldState>()
  private timers = new Map<string, unknown>()
  private listeners = new Set<() => void>()
  private myOps = new Set<string>()
  private transport: Transport | null
  private storage: KeyValueStorage | null
  private storageKey: string
  private debounceMs: number
  private setTimer: (fn: () => void, ms: number) => unknown
  private clearTimer: (handle: unknown) => void
  private version = 0

  constructor(opts: EditStoreOptions = {}) {
    this.transport = opts.transport ?? null
    this.storage = opts.storage === undefined ? (typeof localStorage !== 'undefined' ? localStorage : null) : opts.storage
    this.storageKey = opts.storageKey ?? 'boost.pending-edits.v1'
    this.debounceMs = opts.debounceMs ?? 400
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>))
    this.restore()
  }

  setTransport(transport: Transport): void {
    this.transport = transport
  }

  // ---- subscription (useSyncExternalStore) -------------------------------

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Changes whenever anything observable changes. */
  getVersion = (): number => this.version

  private emit(): void {
    this.version++
    for (const fn of this.listeners) fn()
  }

  // ---- reading ------------------------------------------------------------

  /** Register a field with the server's value (idempotent; keeps restored local edits). */
  ensure(entity: Entity, id: number, field: string, serverValue: Value, serverVersion: number, text = typeof serverValue === 'string'): void {
    const key = fieldKey(entity, id, field)
    const f = this.fields.get(key)
    if (!f) {
      this.fields.set(key, {
        key, entity, id, field, text,
        base: serverValue, baseVersion: serverVersion, local: serverValue,
        inflight: null, sending: false, composing: false, buffered: null, deferred: [], error: null, conflict: false, invalid: false,
      })
      return
    }
    if (serverVersion > f.baseVersion) this.remote(key, serverValue, serverVersion)
  }

  value(key: string): Value | undefined {
    return this.fields.get(key)?.local
  }

  has(key: string): boolean {
    return this.fields.has(key)
  }

  isDirty(key: string): boolean {
    const f = this.fields.get(key)
    return !!f && (f.inflight !== null || !same(f.local, f.base))
  }

  fieldError(key: string): string | null {
    return this.fields.get(key)?.error ?? null
  }

  /** Was the last save of this field refused because someone else changed it (non-text)? */
  hadConflict(key: string): boolean {
    return this.fields.get(key)?.conflict ?? false
  }

  isMine(opId: string | null | undefined): boolean {
    return !!opId && this.myOps.has(opId)
  }

  hasPending(): boolean {
    for (const f of this.fields.values()) if (f.inflight || !same(f.local, f.base)) return true
    return false
  }

  saveState(): SaveState {
    let pending = false
    for (const f of this.fields.values()) {
      if (f.error) return 'error'
      if (f.inflight || !same(f.local, f.base)) pending = true
    }
    if (!pending) return 'saved'
    return this.transport && !this.transport.isConnected() ? 'offline' : 'saving'
  }

  // ---- local input --------------------------------------------------------

  input(key: string, value: Value): void {
    const f = this.fields.get(key)
    if (!f) return
    f.local = value
    f.error = null
    f.conflict = false
    f.invalid = false
    this.persist()
    this.schedule(key)
    this.emit()
  }

  /**
   * The field holds text that is not a value yet ("1e309", "1.2.", "-"): nothing is sent, not
   * even a value typed on the way to it, and a note about an earlier value no longer applies.
   */
  invalidInput(key: string): void {
    const f = this.fields.get(key)
    if (!f) return
    this.cancel(key)
    f.invalid = true
    f.error = null
    f.conflict = false
    if (!f.inflight) f.local = f.base
    this.persist()
    this.emit()
  }

  isInvalid(key: string): boolean {
    return this.fields.get(key)?.invalid ?? false
  }

  /** "Revert to saved value": forget this field's unsaved or refused edit (and its note). */
  revert(key: string): void {
    const f = this.fields.get(key)
    if (!f) return
    this.cancel(key)
    if (f.inflight) this.myOps.delete(f.inflight.op_id)
    f.local = f.base
    f.inflight = null
    f.buffered = null
    f.error = null
    f.conflict = false
    f.invalid = false
    this.persist()
    this.emit()
  }

  compositionStart(key: string): void {
    const f = this.fields.get(key)
    if (!f) return
    f.composing = true
    this.cancel(key)
  }

  compositionEnd(key: string, value?: Value): void {
    const f = this.fields.get(key)
    if (!f) return
    f.composing = false
    if (value !== undefined) f.local = value
    const deferred = f.deferred.splice(0)
    for (const run of deferred) run()
    this.persist()
    this.schedule(key)
    this.emit()
  }

  isComposing(key: string): boolean {
    return this.fields.get(key)?.composing ?? false
  }

  /** Send now instead of waiting for the debounce (blur, Enter). */
  flushNow(key: string): void {
    this.cancel(key)
    this.flush(key)
  }

  flushAll(): void {
    for (const key of this.fields.keys()) this.flushNow(key)
  }

  /** "Couldn't save — Retry": clear errors and send again. */
  retry(): void {
    for (const f of this.fields.values()) f.error = null
    this.replay()
    this.flushAll()
    this.emit()
  }

  /** Forget an entity's fields (deleted, or its page left with nothing pending). */
  drop(entity: Entity, id: number): void {
    for (const [key, f] of this.fields) {
      if (f.entity === entity && f.id === id) {
        this.cancel(key)
        this.fields.delete(key)
      }
    }
    this.persist()
    this.emit()
  }

  // ---- remote changes -----------------------------------------------------

  /** A change made by someone else (an event, or a refetch) reached us. */
  remote(key: string, value: Value, version: number): void {
    const f = this.fields.get(key)
    if (!f || version <= f.baseVersion) return
    if (f.inflight) {
      if (!f.buffered || version > f.buffered.version) f.buffered = { value, version }
      return
    }
    this.whenNotComposing(f, () => {
      if (version <= f.baseVersion) return
      f.local = this.rebase(f, f.base, value, f.local)
      f.base = value
      f.baseVersion = version
      this.persist()
      this.emit()
    })
  }

  /** Now, or once the input method's composition ends: a composing field's text is not replaced under it. */
  private whenNotComposing(f: FieldState, apply: () => void): void {
    if (f.composing) f.deferred.push(apply)
    else apply()
  }

  private rebase(f: FieldState, base: Value, remote: Value, local: Value): Value {
    if (f.text && typeof base === 'string' && typeof remote === 'string' && typeof local === 'string') {
      return merge3(base, remote, local)
    }
    // Not text: a number or a choice has one value, nothing to merge. If only we changed
    // it, ours stays (it is sent next). If someone else changed it too, theirs committed
    // first and is kept, ours was chosen without knowing it: a conflict per field, as the
    // server rules for a change already sent, and the field says so.
    if (same(remote, base)) return local
    if (!same(local, base) && !same(local, remote)) f.conflict = true
    return remote
  }

  // ---- sending ------------------------------------------------------------

  private schedule(key: string): void {
    this.cancel(key)
    this.timers.set(
      key,
      this.setTimer(() => {
        this.timers.delete(key)
        this.flush(key)
      }, this.debounceMs),
    )
  }

  private cancel(key: string): void {
    const t = this.timers.get(key)
    if (t !== undefined) {
      this.clearTimer(t)
      this.timers.delete(key)
    }
  }

  private flush(key: string): void {
    const f = this.fields.get(key)
    if (!f || f.composing || f.inflight || f.error || f.invalid) return
    if (same(f.local, f.base)) {
      this.persist()
      this.emit()
      return
    }
    const op: EditOp = {
      op_id: newId(),
      entity: f.entity,
      id: f.id,
      changes: { [f.field]: f.local },
      version: f.baseVersion,
    }
    if (f.text && typeof f.base === 'string') op.base = { [f.field]: f.base }
    f.inflight = op
    this.myOps.add(op.op_id)
    this.persist()
    this.emit()
    this.send(f)
  }

  /** Send every unacknowledged op again with its own op_id (after a reconnect or reload). */
  replay(): void {
    for (const f of this.fields.values()) {
      if (f.inflight) this.send(f)
      else if (!same(f.local, f.base) && !f.composing && !f.error) this.schedule(f.key)
    }
  }

  private send(f: FieldState): void {
    const op = f.inflight
    if (!op || f.sending || !this.transport || !this.transport.isConnected()) return
    f.sending = true
    this.transport.send(op).then(
      (ack) => {
        f.sending = false
        if (f.inflight?.op_id === op.op_id) this.acknowledge(f, op, ack)
      },
      () => {
        // Dropped or timed out: the op stays pending and is replayed on reconnect.
        f.sending = false
        this.emit()
      },
    )
  }

  private acknowledge(f: FieldState, op: EditOp, ack: EditAck): void {
    const sent = op.changes[f.field] as Value
    if (!ack.ok && isTransient(ack)) {
      // Not committed and not refused (okr unreachable, too many in flight, session being
      // renewed): keep the op and send it again with the same op_id.
      this.setTimer(() => this.send(f), RETRY_MS)
      this.emit()
      return
    }
    if (ack.ok) {
      const version = ack.version ?? f.baseVersion
      const committed = (ack.value && f.field in ack.value ? (ack.value[f.field] as Value) : sent) as Value
      const later = f.buffered && f.buffered.version > version ? f.buffered : null
      const serverValue = later ? later.value : committed
      const serverVersion = later ? later.version : version
      this.settle(f, serverValue, serverVersion, () => this.rebase(f, sent, serverValue, f.local))
      return
    }
    const current = ack.current
    if (current && f.field in current) {
      // Refused as a conflict: take the server's state and rebase our text on it.
      const serverValue = current[f.field] as Value
      const serverVersion = typeof current.version === 'number' ? current.version : f.baseVersion
      this.settle(f, serverValue, serverVersion, () => {
        f.conflict = !f.text
        return f.text ? this.rebase(f, f.base, serverValue, f.local) : serverValue
      })
      return
    }
    // Refused for another reason (validation, permission): keep the text, show the error.
    f.inflight = null
    f.buffered = null
    f.error = errorText(ack.error)
    this.persist()
    this.emit()
  }

  /** The op is answered: the server's value becomes the base, `local` (computed against the
   *  old base) what the field shows; what is still unsent goes next. */
  private settle(f: FieldState, serverValue: Value, serverVersion: number, local: () => Value): void {
    this.whenNotComposing(f, () => {
      f.local = local()
      f.base = serverValue
      f.baseVersion = Math.max(f.baseVersion, serverVersion)
      f.inflight = null
      f.buffered = null
      this.persist()
      this.emit()
      if (!same(f.local, f.base)) this.schedule(f.key)
    })
  }

  // ---- persistence ----------------------------------------------------------

  private persist(): void {
    if (!this.storage) return
    const out: Record<string, Persisted> = {}
    for (const f of this.fields.values()) {
      if (f.inflight || !same(f.local, f.base)) {
        out[f.key] = {
          entity: f.entity, id: f.id, field: f.field, text: f.text,
          base: f.base, baseVersion: f.baseVersion, local: f.local, inflight: f.inflight,
        }
      }
    }
    try {
      if (Object.keys(out).length) this.storage.setItem(this.storageKey, JSON.stringify(out))
      else this.storage.removeItem(this.storageKey)
    } catch {
      /* storage full or blocked: the edit still goes out over the socket */
    }
  }

  private restore(): void {
    if (!this.storage) return
    let saved: Record<string, Persisted>
    try {
      saved = JSON.parse(this.storage.getItem(this.storageKey) ?? '{}') as Record<string, Persisted>
    } catch {
      return
    }
    for (const [key, p] of Object.entries(saved)) {
      if (!p || typeof p !== 'object' || !ENTITIES.includes(p.entity)) continue
      this.fields.set(key, {
        key, entity: p.entity, id: p.id, field: p.field, text: p.text,
        base: p.base, baseVersion: p.baseVersion, local: p.local, inflight: p.inflight,
        sending: false, composing: false, buffered: null, deferred: [], error: null, conflict: false, invalid: false,
      })
      if (p.inflight) this.myOps.add(p.inflight.op_id)
    }
  }
}
