import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react'
import type { PresenceUser } from '../api/types'
import { fieldKey, type Entity, type SaveState, type Value } from './editStore'
import { flashVersion, isFlashing, subscribeFlash } from './flash'
import { editStore, live } from './instance'
import { presenceIn, subscribePresence } from './presence'
import type { ConnectionStatus } from './socket'

/** Join the given rooms while the component is mounted. */
export function useRooms(rooms: (string | null | undefined)[]): void {
  const joined = rooms.filter(Boolean).join('|')
  useEffect(() => {
    if (!joined) return
    const leaves = joined.split('|').map((r) => live.join(r))
    return () => leaves.forEach((leave) => leave())
  }, [joined])
}

export function useConnection(): ConnectionStatus {
  return useSyncExternalStore(live.subscribeStatus, live.getStatus, live.getStatus)
}

/** True for a moment after someone else changed the thing with this key. */
export function useFlash(key: string): boolean {
  useSyncExternalStore(subscribeFlash, flashVersion, flashVersion)
  return isFlashing(key)
}

export function usePresence(room: string | null): PresenceUser[] {
  const get = useCallback(() => (room ? presenceIn(room) : []), [room])
  return useSyncExternalStore(subscribePresence, get, get)
}

const HEARTBEAT_MS = 3000

/**
 * Tell the room where I am (a field key or null) every few seconds and at once
 * when it changes; returns the setter the page calls on focus and blur.
 */
export function usePresenceBeacon(room: string | null): (field: string | null) => void {
  const field = useRef<string | null>(null)
  const status = useConnection()
  useEffect(() => {
    if (!room || status !== 'connected') return
    live.presence(room, field.current)
    const timer = setInterval(() => live.presence(room, field.current), HEARTBEAT_MS)
    return () => {
      clearInterval(timer)
      live.presence(room, null)
    }
  }, [room, status])
  return useCallback(
    (f: string | null) => {
      if (field.current === f) return
      field.current = f
      if (room) live.presence(room, f)
    },
    [room],
  )
}

export function useEditVersion(): number {
  return useSyncExternalStore(editStore.subscribe, editStore.getVersion, editStore.getVersion)
}

export function useSaveState(): SaveState {
  useEditVersion()
  const status = useConnection()
  const s = editStore.saveState()
  if (s === 'saved' && status === 'disconnected' && live.wasConnected) return 'offline'
  return s
}

/**
 * A field edited in place on the drafting page: its shown value comes from the
 * edit store (local text, merged with remote changes), its server value and
 * version from the query cache.
 */
export function useEditableField(entity: Entity, id: number, field: string, serverValue: Value, serverVersion: number, text = true) {
  const key = fieldKey(entity, id, field)
  if (!editStore.has(key)) editStore.ensure(entity, id, field, serverValue, serverVersion, text)
  useEffect(() => {
    editStore.ensure(entity, id, field, serverValue, serverVersion, text)
  }, [entity, id, field, serverValue, serverVersion, text])
  useEditVersion()
  const value = editStore.value(key) ?? serverValue
  return {
    key,
    value,
    error: editStore.fieldError(key),
    conflict: editStore.hadConflict(key),
    dirty: editStore.isDirty(key),
    set: (v: Value) => editStore.input(key, v),
    compositionStart: () => editStore.compositionStart(key),
    compositionEnd: (v: Value) => editStore.compositionEnd(key, v),
    isComposing: () => editStore.isComposing(key),
    flush: () => editStore.flushNow(key),
    invalid: editStore.isInvalid(key),
    markInvalid: () => editStore.invalidInput(key),
    revert: () => editStore.revert(key),
    current: () => editStore.value(key) ?? serverValue,
  }
}
