import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, ReferenceLine } from 'recharts'
import type { CheckIn, KeyResult } from '../api/types'
import { useI18n } from '../i18n'

/** A key result's value and confidence over time (lazy-loaded: recharts is big). */
export default function KrChart({ kr, checkIns }: { kr: KeyResult; checkIns: CheckIn[] }) {
  const { t, fmt } = useI18n()
  const data = [...checkIns]
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
    .map((c) => ({ at: c.created_at, value: c.value, confidence: c.confidence }))
  return (
    <div className="chart" role="img" aria-label={t('chart.kr_label', { title: kr.title, n: data.length })}>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
          <XAxis dataKey="at" tickFormatter={(v: string) => fmt.dateShort(v)} stroke="var(--muted)" fontSize={12} />
          <YAxis yAxisId="v" stroke="var(--muted)" fontSize={12} domain={['auto', 'auto']} />
          <YAxis yAxisId="c" orientation="right" domain={[0, 10]} stroke="var(--muted)" fontSize={12} width={28} />
          <ReferenceLine yAxisId="v" y={kr.target} stroke="var(--accent)" strokeDasharray="4 4" label={{ value: t('chart.target'), fill: 'var(--muted)', fontSize: 11, position: 'insideTopRight' }} />
          <Tooltip
            labelFormatter={(v) => fmt.dateTime(String(v))}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--line)', borderRadius: 8, color: 'var(--text)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line yAxisId="v" type="monotone" dataKey="value" name={t('chart.value')} stroke="var(--accent)" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
          <Line yAxisId="c" type="stepAfter" dataKey="confidence" name={t('chart.confidence')} stroke="var(--warn)" strokeWidth={1.5} dot={false} connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
}
