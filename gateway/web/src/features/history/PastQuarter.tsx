import { Link } from 'react-router'
import { useFeedback, useObjectives } from '../../api/queries'
import type { Objective } from '../../api/types'
import { useI18n } from '../../i18n'

/** Cycle ids ("2027-Q1") sort by time: a cycle before the running one is history. */
export function isPast(cycle: string, currentId: string | undefined): boolean {
  return !!currentId && cycle < currentId
}

export function nextCycleId(cycle: string): string {
  const m = /^(\d{4})-Q([1-4])$/.exec(cycle)
  if (!m) return cycle
  const [year, q] = [Number(m[1]), Number(m[2])]
  return q === 4 ? `${year + 1}-Q1` : `${year}-Q${q + 1}`
}

/** A closed objective's grade and closing note, on any card that shows it. */
export function ClosingLine({ obj }: { obj: Objective }) {
  const { t, fmt } = useI18n()
  if (obj.status !== 'closed' || obj.score === null || obj.score === undefined) return null
  return (
    <p className="small closing" data-testid={`objective-score-${obj.id}`}>
      <strong>{t('objective.score', { score: fmt.number(obj.score, 1) })}</strong>
      {obj.closing_note ? <span className="muted"> · {obj.closing_note}</span> : null}
    </p>
  )
}

/**
 * A past quarter read as history: how it closed (scores, what is still open), the team's
 * retrospective, and what was carried over into the next quarter. Never "start with one".
 */
export function PastQuarter({ teamId, cycle, objectives }: { teamId: number; cycle: string; objectives: Objective[] }) {
  const { t, fmt } = useI18n()
  const next = nextCycleId(cycle)
  const nextQ = useObjectives(next, teamId)
  const retroQ = useFeedback({ kind: 'retro', team_id: teamId, cycle })
  const retro = (retroQ.data ?? []).find((f) => f.kind === 'retro' && f.team_id === teamId)
  const ids = new Set(objectives.map((o) => o.id))
  const carried = (nextQ.data ?? []).filter((o) => !o.deleted && o.carried_from_id !== null && ids.has(o.carried_from_id))
  const closed = objectives.filter((o) => o.status === 'closed')
  const scores = closed.map((o) => o.score ?? 0)
  const mean = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null
  return (
    <section className="card history" aria-labelledby="h-history-q" data-testid="past-quarter">
      <h2 id="h-history-q" className="card__title">
        {t('history.title', { cycle })}
      </h2>
      <p>
        {t('history.closed', { n: closed.length, total: objectives.length })}
        {mean !== null && ` · ${t('history.mean_score', { score: fmt.number(mean, 2) })}`}
      </p>
      <h3 className="label">{t('retro.went_well')} · {t('retro.to_improve')}</h3>
      {retro ? (
        <div className="fbcard__retro" data-testid="past-retro">
          {retro.went_well && <p><strong>{t('retro.went_well')}:</strong> {retro.went_well}</p>}
          {retro.to_improve && <p><strong>{t('retro.to_improve')}:</strong> {retro.to_improve}</p>}
          {retro.score !== null && retro.score !== undefined && <p><strong>{t('retro.grade')}:</strong> {fmt.number(retro.score, 1)}</p>}
        </div>
      ) : (
        <p className="muted small">{t('history.no_retro')}</p>
      )}
      <Link className="small" to={`/feedback?team=${teamId}&cycle=${cycle}`}>{t('history.open_retro')}</Link>
      {carried.length > 0 && (
        <>
          <h3 className="label">{t('history.carried', { cycle: next })}</h3>
          <ul className="small" data-testid="carried-over">
            {carried.map((o) => (
              <li key={o.id}>
                <Link to={`/objectives/${o.id}`}>{o.title}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
