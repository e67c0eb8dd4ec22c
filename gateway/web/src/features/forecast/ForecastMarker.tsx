import type { KeyResult } from '../../api/types'
import { useI18n } from '../../i18n'
import { formatValue } from '../../lib/progress'
import { forecastPercent } from './forecast'

/** Where the key result is forecast to land, as a marker on its progress bar (`kr-forecast-{id}`). */
export function ForecastMarker({ kr, showIds = true }: { kr: KeyResult; showIds?: boolean }) {
  const { t, locale } = useI18n()
  const f = kr.forecast
  if (!f) return null
  const pct = forecastPercent(f)
  const label = t('forecast.marker', {
    value: formatValue(f.value, kr, locale),
    low: formatValue(f.low, kr, locale),
    high: formatValue(f.high, kr, locale),
    pct,
  })
  return (
    <span
      className={`bar__forecast${f.progress < 0.7 ? ' bar__forecast--miss' : ''}`}
      style={{ left: `${pct}%` }}
      data-testid={showIds ? `kr-forecast-${kr.id}` : undefined}
      data-progress={pct}
      title={label}
      role="img"
      aria-label={label}
    />
  )
}
