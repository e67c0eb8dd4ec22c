import { describe, expect, it } from 'vitest'
import type { CycleDates } from '../api/types'
import { daysBetween, daysLeft, expectedProgress, isCycleId, nextCycleId, phaseOn } from './cycle'

const q1: CycleDates = {
  id: '2027-Q1',
  start: '2027-01-01',
  end: '2027-03-31',
  phases: {
    drafting: { start: '2026-12-18', end: '2026-12-31' },
    approval_due: '2026-12-29',
    in_progress: { start: '2027-01-01', end: '2027-03-31' },
    review: '2027-02-15',
    retro: { start: '2027-03-24', end: '2027-04-07' },
  },
}

describe('cycle phases (badge in the top bar)', () => {
  it('names the most specific phase, like the server', () => {
    expect(phaseOn(q1, '2026-12-01')).toBe('upcoming')
    expect(phaseOn(q1, '2026-12-20')).toBe('drafting')
    expect(phaseOn(q1, '2026-12-30')).toBe('approval_due')
    expect(phaseOn(q1, '2027-01-10')).toBe('in_progress')
    expect(phaseOn(q1, '2027-02-20')).toBe('review')
    expect(phaseOn(q1, '2027-03-25')).toBe('retro')
    expect(phaseOn(q1, '2027-04-05')).toBe('retro')
    expect(phaseOn(q1, '2027-05-01')).toBe('ended')
  })
  it('counts days left', () => {
    expect(daysLeft(q1, '2026-12-23')).toBe(9)
    expect(daysLeft(q1, '2027-03-31')).toBe(1)
    expect(daysBetween('2027-01-01', '2027-03-31')).toBe(89)
  })
  it('computes expected progress from whole days elapsed', () => {
    expect(expectedProgress(q1, '2027-01-01')).toBe(0)
    expect(expectedProgress(q1, '2027-02-15')).toBeCloseTo(45 / 90)
    expect(expectedProgress(q1, '2027-06-01')).toBe(1)
  })
  it('knows cycle ids', () => {
    expect(isCycleId('2027-Q1')).toBe(true)
    expect(isCycleId('2027-Q5')).toBe(false)
    expect(nextCycleId('2026-Q4')).toBe('2027-Q1')
  })
})
