import type { CycleDates } from '../api/types'
import { serverNow } from './clock'

export type Phase = 'drafting' | 'approval_due' | 'in_progress' | 'review' | 'retro' | 'upcoming' | 'ended'

const DAY = 86_400_000

/** Days between two ISO dates (b − a), ignoring time zones. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b.slice(0, 10)}T00:00:00Z`) - Date.parse(`${a.slice(0, 10)}T00:00:00Z`)) / DAY)
}

/** Today's date (YYYY-MM-DD) on the server's clock, in an IANA time zone (the browser's when none is given). */
export function todayIn(timeZone?: string | null, now: Date = new Date(serverNow())): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  } catch {
    return now.toISOString().slice(0, 10)
  }
}

/** The most specific phase a day is in, mirroring libs/contracts cycles.phase_on. */
export function phaseOn(cycle: CycleDates, day: string): Phase {
  const { phases } = cycle
  if (day >= phases.retro.start && day <= phases.retro.end) return 'retro'
  if (day >= cycle.start && day <= cycle.end) return day >= phases.review ? 'review' : 'in_progress'
  if (day >= phases.approval_due && day < cycle.start) return 'approval_due'
  if (day >= phases.drafting.start && day < cycle.start) return 'drafting'
  return day < cycle.start ? 'upcoming' : 'ended'
}

/** Days left in the phase's meaningful window (to the start while drafting, to the end while running). */
export function daysLeft(cycle: CycleDates, day: string, phase: Phase = phaseOn(cycle, day)): number | null {
  switch (phase) {
    case 'drafting':
    case 'approval_due':
    case 'upcoming':
      return daysBetween(day, cycle.start)
    case 'in_progress':
    case 'review':
      return daysBetween(day, cycle.end) + 1
    case 'retro':
      return day <= cycle.end ? daysBetween(day, cycle.end) + 1 : daysBetween(day, cycle.phases.retro.end) + 1
    default:
      return null
  }
}

/** Whole days elapsed / days in the cycle, clamped to 0..1 (contract §2). */
export function expectedProgress(cycle: Pick<CycleDates, 'start' | 'end'>, day: string): number {
  const total = daysBetween(cycle.start, cycle.end) + 1
  const elapsed = daysBetween(cycle.start, day)
  return Math.min(1, Math.max(0, elapsed / total))
}

export const isCycleId = (s: string | undefined | null): s is string => !!s && /^\d{4}-Q[1-4]$/.test(s)

/** Has the cycle started (structural changes then keep the approval)? */
export const cycleStarted = (cycle: Pick<CycleDates, 'start'>, day: string): boolean => day >= cycle.start

export function nextCycleId(id: string): string {
  const m = /^(\d{4})-Q([1-4])$/.exec(id)
  if (!m) return id
  const y = Number(m[1])
  const q = Number(m[2])
  return q === 4 ? `${y + 1}-Q1` : `${y}-Q${q + 1}`
}
