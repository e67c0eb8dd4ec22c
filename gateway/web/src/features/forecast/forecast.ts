import type { CheckIn, KeyResult } from '../../api/types'

export type Forecast = NonNullable<KeyResult['forecast']>

/** One row of the key result's chart: a check-in's value and confidence, or a point of the
 * forecast (the dashed line from the latest check-in to the end of the cycle, and its band). */
export interface ChartRow {
  t: number
  value?: number
  confidence?: number | null
  forecast?: number
  band?: [number, number]
}

/** The chart's rows, by time: the check-ins, then the forecast from the latest one to the
 * moment it is for, widening from nothing to its 80 % band. */
export function chartRows(checkIns: CheckIn[], forecast: Forecast | null | undefined): ChartRow[] {
  const rows: ChartRow[] = [...checkIns]
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
    .map((c) => ({ t: Date.parse(c.created_at), value: c.value, confidence: c.confidence }))
  if (!forecast || !forecast.at || rows.length === 0) return rows
  const last = rows[rows.length - 1]
  const end = Date.parse(forecast.at)
  if (!(end > last.t) || last.value === undefined) return rows
  last.forecast = last.value
  last.band = [last.value, last.value]
  rows.push({ t: end, forecast: forecast.value, band: [forecast.low, forecast.high] })
  return rows
}

/** Forecast progress as the marker's 0–100. */
export const forecastPercent = (f: Forecast): number => Math.round(Math.max(0, Math.min(1, f.progress)) * 100)
