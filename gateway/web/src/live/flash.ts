/**
 * Brief highlights for things changed by someone else ("objective:12", "kr:45").
 * A tiny external store; components read it with useSyncExternalStore.
 */
const until = new Map<string, number>()
const listeners = new Set<() => void>()
let version = 0

function notify(): void {
  version++
  for (const fn of listeners) fn()
}

export const FLASH_MS = 1600

export function flash(key: string, ms = FLASH_MS, now = Date.now()): void {
  until.set(key, now + ms)
  notify()
  setTimeout(() => {
    const t = until.get(key)
    if (t !== undefined && t <= Date.now()) {
      until.delete(key)
      notify()
    }
  }, ms + 20)
}

export function isFlashing(key: string, now = Date.now()): boolean {
  const t = until.get(key)
  return t !== undefined && t > now
}

export function subscribeFlash(fn: () => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

export const flashVersion = (): number => version
