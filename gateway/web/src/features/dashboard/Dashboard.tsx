import { Suspense, useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useCycle, useDashboard, useMyKeyResults, useObjectives, useOrgToday } from '../../api/queries'
import type { AttentionKeyResult, Dashboard as DashboardData, Health, KeyResultInList, ObjectiveStatus, TreeNode } from '../../api/types'
import { ProgressChart } from '../../charts'
import { CheckInControl } from '../check-ins/CheckIn'
import { LikelyToMiss } from '../forecast'
import { SourceBadge } from '../connectors/SourceBadge'
import { ExportButton } from '../export/ExportButton'
import { isPast } from '../history/PastQuarter'
import { Icon } from '../../components/icons'
import { PhaseBadge } from '../shell/PhaseBadge'
import { WhenVisible } from '../../components/WhenVisible'
import { Avatar, EmptyState, ErrorState, FlagBadges, HealthBadge, Loading, ProgressBar, Ring, STATUS_KEY, StatusChip } from '../../components/ui'
import { useI18n, type MessageKey } from '../../i18n'
import { expectedProgress } from '../../lib/cycle'
import { formatValue } from '../../lib/progress'
import { useFlash, useRooms } from '../../live/hooks'
import { useApp } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'

const HEALTHS: Health[] = ['on_track', 'at_risk', 'off_track', 'unknown']
const STATUSES: ObjectiveStatus[] = ['draft', 'submitted', 'approved', 'changes_requested', 'closed']
const HEALTH_KEY: Record<Health, MessageKey> = { on_track: 'health.on_track', at_risk: 'health.at_risk', off_track: 'health.off_track', unknown: 'health.unknown' }

export default function Dashboard() {
  const { t } = useI18n()
  const { cycleId, me, nextCycle, homeTeamId, currentCycle } = useApp()
  const cycle = useCycle(cycleId || undefined)
  const dash = useDashboard(cycleId || undefined)
  const mine = useMyKeyResults(cycleId || undefined)
  useRooms([cycleId ? `cycle:${cycleId}` : null])
  usePageTitle(t('nav.dashboard'))
  const today = useOrgToday(me.user.timezone)
  const expected = cycle.data ? expectedProgress(cycle.data, today) : (dash.data?.company.expected_progress ?? null)

  if (dash.isPending || !cycleId) return <Loading />
  if (dash.isError) return <ErrorState error={dash.error} onRetry={() => void dash.refetch()} />
  const d = dash.data
  const objectiveCount = d.teams.reduce((n, tm) => n + tm.objectives.length, 0)
  const draftCycle = nextCycle?.id ?? cycleId

  return (
    <div className="page page--wide">
      <header className="page__head">
        <div>
          <h1>{t('dash.title')}</h1>
          <p className="muted">
            {cycleId} {cycle.data && <PhaseBadge cycle={cycle.data} timezone={me.user.timezone} />}
          </p>
        </div>
        {cycleId && (
          <div className="page__actions">
            <ExportButton cycle={cycleId} />
          </div>
        )}
      </header>

      {objectiveCount === 0 && isPast(cycleId, currentCycle?.id) ? (
        <EmptyState title={t('dash.empty_past', { cycle: cycleId })} body={t('dash.empty_past_body')} />
      ) : objectiveCount === 0 ? (
        <EmptyState
          title={t('dash.empty_title', { cycle: cycleId })}
          body={t('dash.empty_body')}
          action={
            homeTeamId ? (
              <Link className="btn btn--primary" to={`/cycles/${cycleId === draftCycle ? draftCycle : cycleId}/teams/${homeTeamId}/draft`}>
                {t('dash.start_drafting')}
              </Link>
            ) : undefined
          }
        />
      ) : (
        <>
          <Summary d={d} />
          <MyKeyResults krs={mine.data} loading={mine.isPending} expected={expected} cycle={cycleId} />
          <NeedsAttention d={d} />
          <LikelyToMiss d={d} />
          <TeamsSection d={d} cycle={cycleId} />
          {d.history?.length > 1 && (
            <section className="card" aria-labelledby="h-history">
              <h2 id="h-history" className="card__title">
                {t('dash.over_time')}
              </h2>
              <WhenVisible placeholder={<div className="chart chart--placeholder" />}>
                <Suspense fallback={<div className="chart chart--placeholder" />}>
                  <ProgressChart history={d.history} />
                </Suspense>
              </WhenVisible>
            </section>
          )}
        </>
      )}
    </div>
  )
}

function Summary({ d }: { d: DashboardData }) {
  const { t } = useI18n()
  const company = d.company
  return (
    <section className="card summary" aria-labelledby="h-company">
      <div className="summary__ring">
        <Ring value={company.progress} expected={company.expected_progress} label={t('dash.company_ring', { pct: Math.round(company.progress * 100), expected: Math.round(company.expected_progress * 100) })} />
        <div>
          <h2 id="h-company" className="card__title">
            {t('dash.company')}
          </h2>
          <p className="summary__expected">{t('dash.expected_today', { pct: Math.round(company.expected_progress * 100) })}</p>
        </div>
      </div>
      <div className="summary__counts">
        <div>
          <h3 className="label">{t('dash.by_health')}</h3>
          <ul className="counts">
            {HEALTHS.map((h) => (
              <li key={h} className={`counts__item health--${h}`}>
                <span className="counts__n">{d.counts.by_health?.[h] ?? 0}</span>
                <span className="health">
                  <span className="health__dot" aria-hidden="true" />
                  {t(HEALTH_KEY[h])}
                </span>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3 className="label">{t('dash.by_status')}</h3>
          <ul className="counts">
            {STATUSES.filter((s) => (d.counts.by_status?.[s] ?? 0) > 0 || s !== 'closed').map((s) => (
              <li key={s} className="counts__item">
                <span className="counts__n">{d.counts.by_status?.[s] ?? 0}</span>
                <span>{t(STATUS_KEY[s])}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  )
}

function MyKeyResults({ krs, loading, expected, cycle }: { krs: KeyResultInList[] | undefined; loading: boolean; expected: number | null; cycle: string }) {
  const { t } = useI18n()
  return (
    <section className="card" aria-labelledby="h-mine">
      <div className="card__head">
        <h2 id="h-mine" className="card__title">
          {t('dash.my_krs')}
        </h2>
        <Link to={`/cycles/${cycle}`} className="btn btn--link">
          {t('dash.see_quarter')}
        </Link>
      </div>
      {loading && <Loading />}
      {krs && krs.length === 0 && <p className="muted">{t('dash.my_krs_empty', { cycle })}</p>}
      {krs && krs.length > 0 && (
        <ul className="strip">
          {krs.map((kr) => (
            <MyKr key={kr.id} kr={kr} expected={expected} />
          ))}
        </ul>
      )}
    </section>
  )
}

function MyKr({ kr, expected }: { kr: KeyResultInList; expected: number | null }) {
  const { locale } = useI18n()
  const { canWrite } = useApp()
  const flashing = useFlash(`kr:${kr.id}`)
  return (
    <li className={`strip__item${flashing ? ' is-flash' : ''}`} data-testid={`kr-${kr.id}`}>
      <Link to={`/objectives/${kr.objective_id}?kr=${kr.id}`} className="strip__title">
        {kr.title}
      </Link>
      <span className="muted small strip__obj">{kr.objective.title}</span>
      <CheckInControl kr={kr} expected={expected} canCheckIn={canWrite} />
      <div className="strip__meta">
        <span>
          {kr.kind === 'boolean' || kr.kind === 'milestone'
            ? `${Math.round(kr.progress * 100)}%`
            : `${formatValue(kr.current, kr, locale)} / ${formatValue(kr.target, kr, locale)}`}
        </span>
        <HealthBadge health={kr.health} compact />
        <FlagBadges behind={kr.behind} stale={kr.stale} />
        <SourceBadge kr={kr} />
      </div>
    </li>
  )
}

function NeedsAttention({ d }: { d: DashboardData }) {
  const { t, locale } = useI18n()
  const { users } = useApp()
  const rows = useMemo(() => {
    const seen = new Map<number, { kr: AttentionKeyResult; why: Set<string> }>()
    const add = (list: AttentionKeyResult[], why: string) => {
      for (const kr of list) {
        const row = seen.get(kr.id) ?? { kr, why: new Set<string>() }
        row.why.add(why)
        seen.set(kr.id, row)
      }
    }
    add(d.at_risk, 'risk')
    add(d.behind, 'behind')
    add(d.stale, 'stale')
    const rank = (k: AttentionKeyResult) => (k.health === 'off_track' ? 0 : k.health === 'at_risk' ? 1 : 2)
    return [...seen.values()].sort((a, b) => rank(a.kr) - rank(b.kr) || b.why.size - a.why.size).slice(0, 12)
  }, [d])
  return (
    <section className="card" aria-labelledby="h-attention">
      <h2 id="h-attention" className="card__title">
        {t('dash.attention')}
      </h2>
      {rows.length === 0 ? (
        <p className="muted">{t('dash.attention_empty')}</p>
      ) : (
        <ul className="attention">
          {rows.map(({ kr, why }) => {
            const owner = users.get(kr.owner_id)
            return (
              <li key={kr.id} className="attention__row">
                <Avatar user={owner} id={kr.owner_id} size={28} />
                <div className="attention__main">
                  <Link to={`/objectives/${kr.objective_id}?kr=${kr.id}`} className="attention__title">
                    {kr.title}
                  </Link>
                  <span className="muted small">
                    {owner?.name ?? `#${kr.owner_id}`}
                    {kr.kind !== 'boolean' && kr.kind !== 'milestone' && ` · ${formatValue(kr.current, kr, locale)} / ${formatValue(kr.target, kr, locale)}`}
                  </span>
                </div>
                <div className="attention__badges">
                  <HealthBadge health={kr.health} compact />
                  <FlagBadges behind={why.has('behind') || kr.behind} stale={why.has('stale') || kr.stale} />
                </div>
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}

function TeamsSection({ d, cycle }: { d: DashboardData; cycle: string }) {
  const { t } = useI18n()
  const [view, setView] = useState<'cards' | 'tree'>('cards')
  return (
    <section className="card" aria-labelledby="h-teams">
      <div className="card__head">
        <h2 id="h-teams" className="card__title">
          {t('dash.teams')}
        </h2>
        <div className="segmented" role="group" aria-label={t('dash.view')}>
          <button type="button" aria-pressed={view === 'cards'} onClick={() => setView('cards')}>
            <Icon name="grid" size={16} /> {t('dash.cards')}
          </button>
          <button type="button" aria-pressed={view === 'tree'} onClick={() => setView('tree')}>
            <Icon name="tree" size={16} /> {t('dash.tree')}
          </button>
        </div>
      </div>
      {view === 'cards' ? (
        <ul className="teamcards">
          {d.teams.map((tm) => (
            <TeamCard key={tm.id} team={tm} cycle={cycle} expected={d.company.expected_progress} />
          ))}
        </ul>
      ) : (
        <AlignmentTree d={d} cycle={cycle} />
      )}
    </section>
  )
}

function TeamCard({ team, cycle, expected }: { team: DashboardData['teams'][number]; cycle: string; expected: number }) {
  const { t } = useI18n()
  return (
    <li className="teamcard">
      <div className="teamcard__head">
        <Link to={`/teams/${team.id}?cycle=${cycle}`} className="teamcard__name">
          {team.name}
        </Link>
        <span className="muted small">{t('dash.n_objectives', { n: team.objectives.length })}</span>
      </div>
      <ProgressBar value={team.progress} expected={expected} label={t('dash.team_progress', { name: team.name })} />
      {team.objectives.length === 0 ? (
        <p className="muted small">{t('dash.team_empty')}</p>
      ) : (
        <ul className="teamcard__objs">
          {team.objectives.map((o) => (
            <TeamObjective key={o.id} o={o} />
          ))}
        </ul>
      )}
    </li>
  )
}

function TeamObjective({ o }: { o: DashboardData['teams'][number]['objectives'][number] }) {
  const flashing = useFlash(`objective:${o.id}`)
  const { t } = useI18n()
  return (
    <li className={`teamcard__obj${flashing ? ' is-flash' : ''}`} data-testid={`objective-${o.id}`}>
      <span className={`dot dot--${o.health}`} role="img" aria-label={t(HEALTH_KEY[o.health])} title={t(HEALTH_KEY[o.health])} />
      <Link to={`/objectives/${o.id}`} className="teamcard__objtitle" data-testid={`objective-title-${o.id}`}>
        {o.title}
      </Link>
      <span className="teamcard__pct">{Math.round(o.progress * 100)}%</span>
      <StatusChip status={o.status} id={o.id} />
    </li>
  )
}

function AlignmentTree({ d, cycle }: { d: DashboardData; cycle: string }) {
  const { t } = useI18n()
  // Titles come from the dashboard; objectives it does not list are fetched for the cycle.
  const all = useObjectives(cycle)
  const byId = useMemo(() => {
    const m = new Map<number, { title: string; team: string; progress: number; health: Health }>()
    const teamName = new Map(d.teams.map((tm) => [tm.id, tm.name]))
    for (const o of all.data ?? []) m.set(o.id, { title: o.title, team: teamName.get(o.team_id) ?? '', progress: o.progress, health: o.health })
    for (const tm of d.teams) for (const o of tm.objectives) m.set(o.id, { title: o.title, team: tm.name, progress: o.progress, health: o.health })
    return m
  }, [d, all.data])
  if (!d.tree?.length) return <p className="muted">{t('dash.tree_empty')}</p>
  const render = (nodes: TreeNode[]) => (
    <ul className="tree">
      {nodes.map((n) => {
        const known = byId.get(n.objective_id)
        const o = known ?? (n.title ? { title: n.title, team: '', progress: n.progress ?? 0, health: n.health ?? 'unknown' } : undefined)
        return (
          <li key={n.objective_id}>
            <div className="tree__node">
              <span className={`dot dot--${o?.health ?? 'unknown'}`} aria-hidden="true" />
              <Link to={`/objectives/${n.objective_id}`}>{o?.title ?? `#${n.objective_id}`}</Link>
              <span className="muted small">
                {o?.team} · {Math.round((o?.progress ?? 0) * 100)}%
              </span>
            </div>
            {n.children?.length > 0 && render(n.children)}
          </li>
        )
      })}
    </ul>
  )
  return render(d.tree)
}
