import { keys } from '../../api/queries'
import { useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { CalibrationCycle } from '../../api/types'
import { useI18n } from '../../i18n'

export const useCalibration = (userId: number) =>
  useQuery({
    queryKey: keys.calibration(userId),
    queryFn: () => api.get<CalibrationCycle[]>(`/api/okr/people/${userId}/calibration`),
    staleTime: 5 * 60_000,
  })

/** What a confidence of n (0–10) would predict as progress, to set beside what was reached. */
const said = (confidence: number) => Math.round(confidence * 10)

/** Calibration (§9): each past quarter, the person's mean confidence at mid-quarter beside
 * the progress their key results reached, so people learn what their "8" means. */
export function CalibrationPanel({ userId }: { userId: number }) {
  const { t } = useI18n()
  const q = useCalibration(userId)
  const rows = q.data ?? []
  return (
    <section className="card calibration" aria-labelledby="h-calibration" data-testid="calibration">
      <h2 id="h-calibration" className="card__title">
        {t('calibration.title')}
      </h2>
      <p className="muted small">{t('calibration.hint')}</p>
      {q.isSuccess && rows.length === 0 && <p className="muted">{t('calibration.empty')}</p>}
      {rows.length > 0 && (
        <table className="calibration__table">
          <thead>
            <tr>
              <th scope="col">{t('calibration.quarter')}</th>
              <th scope="col">{t('calibration.confidence')}</th>
              <th scope="col">{t('calibration.reached')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const reached = Math.round(c.progress * 100)
              return (
                <tr key={c.cycle} data-testid={`calibration-${c.cycle}`}>
                  <th scope="row">{c.cycle}</th>
                  <td>
                    {c.mid_quarter_confidence === null ? '—' : c.mid_quarter_confidence.toFixed(1)}
                    {c.mid_quarter_confidence !== null && (
                      <span className="calibration__bar" aria-hidden="true">
                        <span style={{ width: `${said(c.mid_quarter_confidence)}%` }} />
                      </span>
                    )}
                  </td>
                  <td>
                    {reached}%
                    <span className="calibration__bar calibration__bar--reached" aria-hidden="true">
                      <span style={{ width: `${reached}%` }} />
                    </span>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
