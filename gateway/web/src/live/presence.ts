import type { PresenceUser } from '../api/types'

/** Who is where, per room, as the realtime service last told us. */
const rooms = new Map<string, PresenceUser[]>()
const listeners = new Set<() => void>()
const EMPTY: PresenceUser[] = []

export function setPresence(room: string, users: PresenceUser[]): void {
  rooms.set(room, Array.isArray(users) ? users : [])
  for (const fn of listeners) fn()
}

export function presenceIn(room: string): PresenceUser[] {
  return rooms.get(room) ?? EMPTY
}

export function subscribePresence(fn: () => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Others editing a given field ("objective:12:title"), without me. */
export function editorsOf(users: PresenceUser[], field: string, meId: number | undefined): PresenceUser[] {
  return users.filter((u) => u.field === field && u.id !== meId)
}

/** A stable, pleasant colour per person, for outlines and avatars. */
export function colourFor(id: number): string {
  // Dark enough for white initials (contrast ≥ 4.5:1) and for an outline on either theme.
  const palette = ['#2f5bb7', '#1f7a4d', '#b4461f', '#7a3fb0', '#b0306a', '#1d6f86', '#8a5a00', '#4d4fb8', '#3f7a1f', '#a33a3a']
  return palette[Math.abs(id) % palette.length]
}

/** One entry per person (several tabs of one person show once), with their current field. */
export function uniquePeople(users: PresenceUser[]): PresenceUser[] {
  const seen = new Map<number, PresenceUser>()
  for (const u of users) {
    const prev = seen.get(u.id)
    if (!prev || (!prev.field && u.field)) seen.set(u.id, u)
  }
  return [...seen.values()]
}
