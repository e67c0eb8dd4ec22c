import { Link } from 'react-router'
import type { Dashboard } from '../../api/types'
import { Avatar } from '../../components/ui'
import { useI18n } from '../../i18n'
import { formatValue } from '../../lib/progress'
import { useApp } from '../../state/app'

/** The dashboard's "Likely to miss" (§9): key results whose forecast lands below 70 % of
 * the way, furthest off first. Shown only while a forecast has something to say. */
export function LikelyToMiss({ d }: { d: Dashboard }) {
  const { t, locale } = useI18n()
  const { users } = useApp()
  const rows = (d.likely_to_miss ?? []).slice(0, 12)
  if (rows.length === 0) return null
  return (
    <section className="card" aria-labelledby="h-likely-to-miss" data-testid="likely-to-miss">
      <h2 id="h-likely-to-miss" className="card__title">
        {t('dash.likely_to_miss')}
      </h2>
      <p className="muted small">{t('dash.likely_to_miss_hint')}</p>
      <ul className="attention">
        {rows.map((kr) => {
          const owner = users.get(kr.owner_id)
          const f = kr.forecast
          return (
            <li key={kr.id} className="attention__row" data-testid={`likely-to-miss-${kr.id}`}>
              <Avatar user={owner} id={kr.owner_id} size={28} />
              <div className="attention__main">
                <Link to={`/objectives/${kr.objective_id}?kr=${kr.id}`} className="attention__title">
                  {kr.title}
                </Link>
                <span className="muted small">
                  {owner?.name ?? `#${kr.owner_id}`}
                  {f &&
                    ` · ${t('forecast.short', {
                      value: formatValue(f.value, kr, locale),
                      target: formatValue(kr.target, kr, locale),
                    })}`}
                </span>
              </div>
              {f && <span className="forecast-pct">{Math.round(f.progress * 100)}%</span>}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
