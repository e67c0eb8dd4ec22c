import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { useI18n } from '../i18n'

/** Company progress per week against the expected line. */
export default function ProgressChart({ history }: { history: { date: string; progress: number; expected: number }[] }) {
  const { t, fmt } = useI18n()
  const data = history.map((h) => ({ date: h.date, progress: Math.round(h.progress * 100), expected: Math.round(h.expected * 100) }))
  return (
    <div className="chart" role="img" aria-label={t('chart.progress_label')}>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
          <XAxis dataKey="date" tickFormatter={(v: string) => fmt.dateShort(v)} stroke="var(--muted)" fontSize={12} />
          <YAxis domain={[0, 100]} unit="%" stroke="var(--muted)" fontSize={12} />
          <Tooltip
            labelFormatter={(v) => fmt.date(String(v))}
            formatter={(v) => `${v}%`}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--line)', borderRadius: 8, color: 'var(--text)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line type="monotone" dataKey="progress" name={t('chart.actual')} stroke="var(--accent)" strokeWidth={2.5} dot={false} isAnimationActive={false} />
          <Line type="linear" dataKey="expected" name={t('chart.expected')} stroke="var(--muted)" strokeDasharray="5 5" strokeWidth={1.5} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
}
