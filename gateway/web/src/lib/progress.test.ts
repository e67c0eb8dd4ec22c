import { describe, expect, it } from 'vitest'
import { decimalsFor, formatValue, fractionAt, gapPoints, healthFromConfidence, krProgress, toPercent, valueAtFraction } from './progress'

const kr = (kind: 'number' | 'percent' | 'boolean' | 'milestone', start: number, target: number, current: number, items: { id: number; title: string; done: boolean }[] = []) => ({ kind, start, target, current, items })

describe('progress display', () => {
  it('computes progress as the server does, clamped to 0..1', () => {
    expect(krProgress(kr('number', 40, 120, 80))).toBe(0.5)
    expect(krProgress(kr('number', 40, 120, 200))).toBe(1)
    expect(krProgress(kr('number', 40, 120, 0))).toBe(0)
  })
  it('works for decreasing targets', () => {
    expect(krProgress(kr('number', 95, 30, 62.5))).toBe(0.5)
  })
  it('handles boolean and milestone kinds', () => {
    expect(krProgress(kr('boolean', 0, 1, 1))).toBe(1)
    expect(krProgress(kr('boolean', 0, 1, 0))).toBe(0)
    const items = [
      { id: 1, title: 'a', done: true },
      { id: 2, title: 'b', done: false },
      { id: 3, title: 'c', done: false },
      { id: 4, title: 'd', done: true },
    ]
    expect(krProgress(kr('milestone', 0, 4, 2, items))).toBe(0.5)
    expect(krProgress(kr('milestone', 0, 0, 0, []))).toBe(0)
  })
  it('gives aria-valuenow as a whole percentage', () => {
    expect(toPercent(0.456)).toBe(46)
    expect(toPercent(1.3)).toBe(100)
    expect(toPercent(null)).toBe(0)
  })
  it('records start + x·(target − start) for a click at x of the bar', () => {
    expect(valueAtFraction(kr('number', 40, 120, 0), 0.5)).toBe(80)
    expect(valueAtFraction(kr('number', 95, 30, 0), 0.25)).toBe(79)
    expect(valueAtFraction(kr('percent', 45, 70, 0), 0.5)).toBe(58) // a click is not that precise: whole points
    expect(valueAtFraction(kr('number', 1.5, 4, 0), 0.5)).toBe(2.8)
    expect(valueAtFraction(kr('number', 0, 1, 0), 0.333)).toBe(0.33)
    expect(valueAtFraction(kr('number', 0, 100, 0), 1.4)).toBe(100)
  })
  it('maps a click position to a fraction of the bar', () => {
    expect(fractionAt(150, 100, 200)).toBe(0.25)
    expect(fractionAt(50, 100, 200)).toBe(0)
    expect(fractionAt(400, 100, 200)).toBe(1)
    expect(fractionAt(150, 100, 200, true)).toBe(0.75)
    expect(fractionAt(150, 100, 0)).toBe(0)
  })
  it('picks sensible decimals', () => {
    expect(decimalsFor(kr('number', 0, 600, 0))).toBe(0)
    expect(decimalsFor(kr('number', 1.5, 4, 0))).toBe(1)
    expect(decimalsFor(kr('number', 0, 1, 0))).toBe(2)
  })
  it('maps confidence to health', () => {
    expect(healthFromConfidence(8)).toBe('on_track')
    expect(healthFromConfidence(7)).toBe('on_track')
    expect(healthFromConfidence(4)).toBe('at_risk')
    expect(healthFromConfidence(3)).toBe('off_track')
    expect(healthFromConfidence(null)).toBe('unknown')
  })
  it('formats values with units', () => {
    const k = (kind: 'number' | 'percent', unit: string, start: number, target: number) => ({ kind, unit, start, target })
    expect(formatValue(1200, k('number', 'users', 0, 2000), 'en-US')).toBe('1,200 users')
    expect(formatValue(57.5, k('percent', '', 0, 100), 'en-US')).toBe('58%')
    expect(formatValue(3000, k('number', '₩', 0, 5000), 'ko-KR')).toBe('₩3,000')
    expect(formatValue(3, k('number', '', 0, 10), 'en-US')).toBe('3')
    expect(formatValue(430, k('number', '팀', 0, 500), 'ko-KR')).toBe('430팀')
    expect(formatValue(4.2, k('number', '/5', 3, 5), 'en-US')).toBe('4.2/5')
  })
  it('writes no stray decimals (issue 21: 35.32%, 97.01 teams)', () => {
    expect(formatValue(35.32, { kind: 'percent', unit: '', start: 0, target: 100 }, 'en-US')).toBe('35%')
    expect(formatValue(97.01, { kind: 'number', unit: 'teams', start: 0, target: 120 }, 'en-US')).toBe('97 teams')
    expect(formatValue(0.4567, { kind: 'number', unit: '', start: 0, target: 1.5 }, 'en-US')).toBe('0.46')
  })
  it('tells how far behind expected a KR is, in points', () => {
    expect(gapPoints(0.3, 0.62)).toBe(-32)
  })
})
