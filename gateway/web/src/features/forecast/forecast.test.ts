import { describe, expect, it } from 'vitest'
import type { CheckIn } from '../../api/types'
import { chartRows, forecastPercent, type Forecast } from './forecast'

const ci = (id: number, at: string, value: number): CheckIn =>
  ({ id, key_result_id: 1, value, confidence: 7, note: '', author_id: 1, created_at: at }) as CheckIn

const f: Forecast = { value: 80, low: 70, high: 90, progress: 0.8, as_of: '2027-01-09T01:00:00Z', at: '2027-03-31T15:00:00Z' }

describe('forecast chart rows', () => {
  it('extends the latest check-in to the end of the cycle with a band that opens from nothing', () => {
    const rows = chartRows([ci(2, '2027-01-09T01:00:00Z', 20), ci(1, '2027-01-02T01:00:00Z', 10)], f)
    expect(rows.map((r) => r.value)).toEqual([10, 20, undefined])
    expect(rows[1]).toMatchObject({ forecast: 20, band: [20, 20] })
    expect(rows[2]).toEqual({ t: Date.parse('2027-03-31T15:00:00Z'), forecast: 80, band: [70, 90] })
  })
  it('draws no forecast without one', () => {
    expect(chartRows([ci(1, '2027-01-02T01:00:00Z', 10)], null)).toEqual([{ t: Date.parse('2027-01-02T01:00:00Z'), value: 10, confidence: 7 }])
  })
  it('clamps the marker to 0–100', () => {
    expect(forecastPercent({ ...f, progress: 1.3 })).toBe(100)
    expect(forecastPercent({ ...f, progress: 0.456 })).toBe(46)
  })
})
