import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis, ReferenceLine } from 'recharts'
import type { CheckIn, KeyResult } from '../api/types'
import { chartRows } from '../features/forecast'
import { useI18n } from '../i18n'
import { formatValue } from '../lib/progress'

/** A key result's value and confidence over time, and where it is forecast to land at the
 * end of the cycle: a dashed line from the latest check-in with its 80 % band
 * (lazy-loaded: recharts is big). */
export default function KrChart({ kr, checkIns }: { kr: KeyResult; checkIns: CheckIn[] }) {
  const { t, fmt, locale } = useI18n()
  const data = chartRows(checkIns, kr.forecast)
  const f = kr.forecast
  return (
    <div className="chart" role="img" data-testid={`kr-chart-${kr.id}`} aria-label={t('chart.kr_label', { title: kr.title, n: checkIns.length })}>
      <ResponsiveContainer width="100%" height={200}>
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => fmt.dateShort(new Date(v).toISOString())} stroke="var(--muted)" fontSize={12} />
          <YAxis yAxisId="v" stroke="var(--muted)" fontSize={12} domain={['auto', 'auto']} />
          {/* Confidence (0–10) on the right, in the confidence line's colour, so that the forecast
              ending near its top is not read as a confidence. */}
          <YAxis yAxisId="c" orientation="right" domain={[0, 10]} stroke="var(--warn)" fontSize={12} width={28} />
          {/* The target is always on the chart (the value axis grows to it): where the forecast lands
              only means something beside it. */}
          <ReferenceLine yAxisId="v" y={kr.target} ifOverflow="extendDomain" stroke="var(--accent)" strokeDasharray="4 4" label={{ value: t('chart.target'), fill: 'var(--muted)', fontSize: 11, position: 'insideTopLeft' }} />
          <Tooltip
            labelFormatter={(v) => fmt.dateTime(new Date(Number(v)).toISOString())}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--line)', borderRadius: 8, color: 'var(--text)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {f && <Area yAxisId="v" dataKey="band" name={t('chart.forecast_band')} className="chart__band" stroke="none" fill="var(--accent)" fillOpacity={0.15} isAnimationActive={false} connectNulls />}
          <Line yAxisId="v" type="monotone" dataKey="value" name={t('chart.value')} stroke="var(--accent)" strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
          {f && <Line yAxisId="v" type="linear" dataKey="forecast" name={t('chart.forecast')} className="chart__forecast" stroke="var(--accent)" strokeWidth={2} strokeDasharray="6 4" dot={false} connectNulls isAnimationActive={false} />}
          <Line yAxisId="c" type="stepAfter" dataKey="confidence" name={t('chart.confidence')} stroke="var(--warn)" strokeWidth={1.5} dot={false} connectNulls isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
      {f && (
        <p className="chart__caption small muted" data-testid={`kr-forecast-caption-${kr.id}`}>
          {t('forecast.caption', {
            value: formatValue(f.value, kr, locale),
            low: formatValue(f.low, kr, locale),
            high: formatValue(f.high, kr, locale),
            date: f.at ? fmt.dateShort(new Date(Date.parse(f.at) - 1).toISOString()) : '',
          })}
        </p>
      )}
    </div>
  )
}
