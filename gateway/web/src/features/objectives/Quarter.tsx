import { useEffect, useMemo, useState } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { useCycle, useKeyResult, useMyKeyResults, useObjective, useObjectives, useOrgToday } from '../../api/queries'
import type { Objective } from '../../api/types'
import { KrRow } from '../check-ins/KrRow'
import { ExportButton } from '../export/ExportButton'
import { ClosingLine, PastQuarter } from '../history/PastQuarter'
import { PhaseBadge } from '../shell/PhaseBadge'
import { EmptyState, ErrorState, HealthBadge, Loading, ProgressBar, StatusChip } from '../../components/ui'
import { useI18n } from '../../i18n'
import { expectedProgress } from '../../lib/cycle'
import { useFlash, useRooms } from '../../live/hooks'
import { useApp, usePageCycle } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'

export default function Quarter() {
  const { cycle = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const targetKr = Number(params.get('kr')) || undefined
  const { t } = useI18n()
  const app = useApp()
  const { me, teamsById, homeTeamId, currentCycle } = app
  usePageCycle(cycle)
  // "This quarter" only for the one running now; cycle ids ("2027-Q1") sort by time.
  const past = !!currentCycle && cycle < currentCycle.id
  const title = t(!currentCycle || cycle === currentCycle.id ? 'quarter.title'
    : past ? 'quarter.title_past' : 'quarter.title_upcoming', { cycle })
  usePageTitle(title)
  useRooms([`cycle:${cycle}`])

  const cycleQ = useCycle(cycle)
  const today = useOrgToday(me.user.timezone)
  const expected = cycleQ.data ? expectedProgress(cycleQ.data, today) : null
  // A deep link to a key result opens the team that owns it.
  const krQ = useKeyResult(targetKr)
  const krObj = useObjective(krQ.data?.objective_id)
  const teamParam = Number(params.get('team')) || undefined
  const myTeams = me.teams
  const [teamId, setTeamId] = useState<number | undefined>(teamParam ?? homeTeamId)
  useEffect(() => {
    if (krObj.data) setTeamId(krObj.data.team_id)
  }, [krObj.data])
  useEffect(() => {
    if (!teamId && homeTeamId) setTeamId(homeTeamId)
  }, [homeTeamId, teamId])

  const q = useObjectives(cycle, teamId)
  const mine = useMyKeyResults(cycle)
  const objectives = useMemo(() => (q.data ?? []).filter((o) => !o.deleted), [q.data])
  const shownKrIds = new Set(objectives.flatMap((o) => o.key_results.map((k) => k.id)))
  const elsewhere = (mine.data ?? []).filter((k) => !shownKrIds.has(k.id))
  const teamTabs = myTeams.length ? [...myTeams] : teamId ? [{ id: teamId, name: teamsById.get(teamId)?.name ?? '', role: 'member' as const }] : []
  if (teamId && !teamTabs.some((tm) => tm.id === teamId)) teamTabs.push({ id: teamId, name: teamsById.get(teamId)?.name ?? `#${teamId}`, role: 'member' })

  return (
    <div className="page">
      <header className="page__head">
        <div>
          <h1>{title}</h1>
          <p className="muted">{cycleQ.data && <PhaseBadge cycle={cycleQ.data} timezone={me.user.timezone} />}</p>
        </div>
        <div className="page__actions">
          <ExportButton cycle={cycle} />
        </div>
      </header>

      {teamTabs.length > 1 && (
        <div className="tabs-inline" role="tablist" aria-label={t('quarter.my_teams')}>
          {teamTabs.map((tm) => (
            <button
              key={tm.id}
              type="button"
              role="tab"
              aria-selected={tm.id === teamId}
              className="tab"
              onClick={() => {
                setTeamId(tm.id)
                const p = new URLSearchParams(params)
                p.set('team', String(tm.id))
                p.delete('kr')
                setParams(p, { replace: true })
              }}
            >
              {tm.name || teamsById.get(tm.id)?.name}
            </button>
          ))}
        </div>
      )}

      {!teamId && <EmptyState title={t('quarter.no_team')} body={t('quarter.no_team_body')} action={<Link className="btn" to="/teams">{t('nav.teams')}</Link>} />}
      {teamId && q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && objectives.length === 0 && (past ? (
        <EmptyState title={t('quarter.empty_past', { cycle })} body={t('quarter.empty_past_body')} />
      ) : (
        <EmptyState
          title={t('quarter.empty', { cycle })}
          body={t('quarter.empty_body')}
          action={
            teamId ? (
              <Link className="btn btn--primary" to={`/cycles/${cycle}/teams/${teamId}/draft`}>
                {t('quarter.start_one')}
              </Link>
            ) : undefined
          }
        />
      ))}
      {past && teamId && objectives.length > 0 && <PastQuarter teamId={teamId} cycle={cycle} objectives={objectives} />}
      <div className="objectives">
        {objectives.map((o) => (
          <ObjectiveProgress key={o.id} obj={o} expected={expected} targetKr={targetKr} />
        ))}
      </div>

      {elsewhere.length > 0 && (
        <section className="card" aria-labelledby="h-elsewhere">
          <h2 id="h-elsewhere" className="card__title">
            {t('quarter.mine_elsewhere')}
          </h2>
          <ul className="krs">
            {elsewhere.map((kr) => (
              <KrRow key={kr.id} kr={kr} expected={expected} canCheckIn={app.canWrite} highlighted={kr.id === targetKr} context={kr.objective.title} teamId={kr.objective.team_id} />
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}

export function ObjectiveProgress({ obj, expected, targetKr, showIds = true }: { obj: Objective; expected: number | null; targetKr?: number; showIds?: boolean }) {
  const { t } = useI18n()
  const app = useApp()
  const flashing = useFlash(`objective:${obj.id}`)
  const canCheckIn = (ownerId: number) => app.canWrite && (app.isAdmin || ownerId === app.me.user.id || app.canEditTeam(obj.team_id))
  const krs = obj.key_results.filter((k) => !k.deleted)
  return (
    <article className={`ocard ocard--read${flashing ? ' is-flash' : ''}`} data-testid={showIds ? `objective-${obj.id}` : undefined}>
      <div className="ocard__top">
        <StatusChip status={obj.status} id={obj.id} testId={showIds} />
        <HealthBadge health={obj.health} />
        <span className="muted small">{app.userName(obj.owner_id)}</span>
      </div>
      <h2 className="ocard__heading" data-testid={showIds ? `objective-title-${obj.id}` : undefined}>
        <Link to={`/objectives/${obj.id}`}>{obj.title}</Link>
      </h2>
      <ClosingLine obj={obj} />
      <ProgressBar value={obj.progress} expected={expected} label={t('objective.progress_of', { title: obj.title })} size="lg" health={obj.health} />
      <p className="muted small">{t('objective.progress_line', { pct: Math.round(obj.progress * 100), expected: Math.round((expected ?? 0) * 100) })}</p>
      {krs.length === 0 ? (
        <p className="muted">{t('draft.no_krs')}</p>
      ) : (
        <ul className="krs">
          {krs.map((kr) => (
            <KrRow key={kr.id} kr={kr} expected={expected} canCheckIn={obj.status !== 'closed' && canCheckIn(kr.owner_id)} highlighted={kr.id === targetKr} showIds={showIds} teamId={obj.team_id} />
          ))}
        </ul>
      )}
    </article>
  )
}
