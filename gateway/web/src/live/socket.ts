import { io, type Socket } from 'socket.io-client'
import type { EditAck, Envelope, PresenceUser } from '../api/types'
import type { EditOp, Transport } from './editStore'

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'disconnected'

type EventHandler = (env: Envelope, channel: 'okr.event' | 'feedback.event') => void
type PresenceHandler = (msg: { room: string; users: PresenceUser[] }) => void

const EDIT_TIMEOUT_MS = 10_000
// Offline within 3 s: an edit unanswered for PROBE_AFTER_MS makes the tab ask the server
// something tiny; no answer within PROBE_TIMEOUT_MS and the connection is taken as lost (the
// engine's own ping would take 15 s). The browser's own 'offline' event is taken at once.
const PROBE_AFTER_MS = 800
const PROBE_TIMEOUT_MS = 1200
const WATCH_EVERY_MS = 400

/**
 * One Socket.IO connection for the tab (same origin, the session cookie,
 * websocket transport only). Pages join rooms with `join(room)`; rooms are
 * reference-counted and re-subscribed after every reconnect.
 */
export class Live implements Transport {
  private socket: Socket | null = null
  private rooms = new Map<string, number>()
  private eventHandlers = new Set<EventHandler>()
  private presenceHandlers = new Set<PresenceHandler>()
  private statusHandlers = new Set<() => void>()
  private reconnectHandlers = new Set<(again: boolean) => void>()
  private resyncHandlers = new Set<() => void>()
  private everConnected = false
  private sending = new Map<string, number>() // op_id → when it was sent
  private probing = false
  private watchdog: ReturnType<typeof setInterval> | null = null
  status: ConnectionStatus = 'idle'

  connect(): void {
    if (this.socket) return
    this.setStatus('connecting')
    // A connection attempt that hangs (a network that drops packets) gives up after 5 s and
    // tries again, instead of Socket.IO's 20 s: the handshake takes milliseconds when it works.
    const socket = io({ path: '/socket.io', transports: ['websocket'], withCredentials: true, reconnectionDelayMax: 5000, timeout: 5000 })
    this.socket = socket
    socket.on('connect', () => {
      const again = this.everConnected
      this.everConnected = true
      this.setStatus('connected')
      for (const room of this.rooms.keys()) socket.emit('subscribe', { room })
      for (const fn of this.reconnectHandlers) fn(again)
    })
    socket.on('disconnect', () => {
      this.sending.clear() // their acks will not come on this connection; the store replays them
      this.setStatus('disconnected')
    })
    socket.on('connect_error', () => this.setStatus('disconnected'))
    socket.on('okr.event', (env: Envelope) => this.dispatch(env, 'okr.event'))
    socket.on('feedback.event', (env: Envelope) => this.dispatch(env, 'feedback.event'))
    // The realtime replica lost its bus for a while: events may have passed it by.
    socket.on('resync', () => {
      for (const fn of this.resyncHandlers) fn()
    })
    socket.on('presence', (msg: { room: string; users: PresenceUser[] }) => {
      for (const fn of this.presenceHandlers) fn(msg)
    })
    if (typeof window !== 'undefined') window.addEventListener('offline', () => this.lost())
    this.watchdog ??= setInterval(() => this.watch(), WATCH_EVERY_MS)
  }

  /** The connection is gone (the browser says so, or a probe went unanswered): say Offline now and reconnect. */
  private lost(): void {
    const socket = this.socket
    if (!socket) return
    this.setStatus('disconnected')
    if (socket.connected) socket.io.engine?.close() // Socket.IO then reconnects with its back-off
  }

  private watch(): void {
    const socket = this.socket
    if (!socket?.connected || this.probing || !this.sending.size) return
    const oldest = Math.min(...this.sending.values())
    if (Date.now() - oldest < PROBE_AFTER_MS) return
    this.probing = true
    const room = this.rooms.keys().next().value ?? 'probe'
    socket.timeout(PROBE_TIMEOUT_MS).emit('subscribe', { room }, (err: Error | null) => {
      this.probing = false
      if (err && this.socket === socket) this.lost()
    })
  }

  /** The network is back: connect now, not at the end of the current back-off (up to 5 s). */
  reconnectNow(): void {
    const socket = this.socket
    if (!socket || socket.connected) return
    socket.disconnect() // ends the back-off timer
    socket.connect()
  }

  disconnect(): void {
    this.socket?.disconnect()
    this.socket = null
    this.setStatus('idle')
  }

  private dispatch(env: Envelope, channel: 'okr.event' | 'feedback.event'): void {
    for (const fn of this.eventHandlers) {
      try {
        fn(env, channel)
      } catch (err) {
        console.error('live event handler failed', err)
      }
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return
    this.status = status
    for (const fn of this.statusHandlers) fn()
  }

  /** Join a room for as long as the returned function is not called. */
  join(room: string): () => void {
    const n = this.rooms.get(room) ?? 0
    this.rooms.set(room, n + 1)
    if (n === 0 && this.socket?.connected) this.socket.emit('subscribe', { room })
    return () => {
      const left = (this.rooms.get(room) ?? 1) - 1
      if (left > 0) this.rooms.set(room, left)
      else {
        this.rooms.delete(room)
        if (this.socket?.connected) this.socket.emit('unsubscribe', { room })
      }
    }
  }

  presence(room: string, field: string | null): void {
    if (this.socket?.connected) this.socket.emit('presence', { room, field })
  }

  onEvent(fn: EventHandler): () => void {
    this.eventHandlers.add(fn)
    return () => this.eventHandlers.delete(fn)
  }

  onPresence(fn: PresenceHandler): () => void {
    this.presenceHandlers.add(fn)
    return () => this.presenceHandlers.delete(fn)
  }

  /** Called when the server says events may have been missed (its `resync`): refetch what is shown. */
  onResync(fn: () => void): () => void {
    this.resyncHandlers.add(fn)
    return () => this.resyncHandlers.delete(fn)
  }

  /** Called on every (re)connect: refetch what is shown, replay pending edits. */
  onConnect(fn: (again: boolean) => void): () => void {
    this.reconnectHandlers.add(fn)
    return () => this.reconnectHandlers.delete(fn)
  }

  subscribeStatus = (fn: () => void): (() => void) => {
    this.statusHandlers.add(fn)
    return () => this.statusHandlers.delete(fn)
  }

  getStatus = (): ConnectionStatus => this.status

  get wasConnected(): boolean {
    return this.everConnected
  }

  // Transport for the edit store
  isConnected(): boolean {
    return !!this.socket?.connected
  }

  send(op: EditOp): Promise<EditAck> {
    return new Promise((resolve, reject) => {
      const socket = this.socket
      if (!socket?.connected) {
        reject(new Error('offline'))
        return
      }
      this.sending.set(op.op_id, Date.now())
      socket.timeout(EDIT_TIMEOUT_MS).emit('edit', op, (err: Error | null, ack: EditAck) => {
        this.sending.delete(op.op_id)
        if (err) reject(err)
        else resolve(ack ?? { ok: false, error: 'no answer' })
      })
    })
  }
}

export const live = new Live()
