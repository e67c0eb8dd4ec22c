import { useMemo } from 'react'
import { Link, NavLink, useParams, useSearchParams } from 'react-router'
import { useCycle, useObjectives, useOrgToday } from '../../api/queries'
import type { Team } from '../../api/types'
import { Avatar, EmptyState, ErrorState, Loading, ProgressBar } from '../../components/ui'
import { useI18n } from '../../i18n'
import { expectedProgress } from '../../lib/cycle'
import { useRooms } from '../../live/hooks'
import { useApp, usePageCycle } from '../../state/app'
import { isPast, PastQuarter } from '../history/PastQuarter'
import { ObjectiveProgress } from '../objectives/Quarter'
import { usePageTitle } from '../../lib/pageTitle'

export default function Teams() {
  const { id } = useParams()
  const teamId = id ? Number(id) : undefined
  const [params] = useSearchParams()
  const { t } = useI18n()
  const app = useApp()
  const cycle = params.get('cycle') || app.cycleId
  usePageCycle(params.get('cycle'))
  const team = teamId ? app.teamsById.get(teamId) : undefined
  usePageTitle(team?.name ?? t('nav.teams'))

  const children = useMemo(() => {
    const m = new Map<number | null, Team[]>()
    for (const tm of app.teams) {
      const k = tm.parent_id ?? null
      m.set(k, [...(m.get(k) ?? []), tm])
    }
    for (const list of m.values()) list.sort((a, b) => a.name.localeCompare(b.name))
    return m
  }, [app.teams])

  const renderTree = (parent: number | null, depth = 0) => {
    const list = children.get(parent) ?? []
    if (!list.length) return null
    return (
      <ul className={depth ? 'tree' : 'tree tree--root'}>
        {list.map((tm) => (
          <li key={tm.id}>
            <NavLink to={`/teams/${tm.id}${cycle ? `?cycle=${cycle}` : ''}`} className={({ isActive }) => `tree__link${isActive ? ' is-active' : ''}`}>
              {tm.name}
              <span className="muted small">· {tm.members?.length ?? 0}</span>
            </NavLink>
            {renderTree(tm.id, depth + 1)}
          </li>
        ))}
      </ul>
    )
  }

  return (
    <div className="page page--wide teams">
      <header className="page__head">
        <h1>{t('teams.title')}</h1>
      </header>
      <div className="teams__grid">
        <nav className="card teams__tree" aria-label={t('teams.tree')}>
          {app.teams.length === 0 ? <p className="muted">{t('teams.none')}</p> : renderTree(null)}
        </nav>
        <div className="teams__detail">
          {!teamId && <EmptyState title={t('teams.choose')} body={t('teams.choose_body')} />}
          {teamId && !team && app.teams.length > 0 && <EmptyState title={t('error.not_found')} />}
          {team && <TeamDetail team={team} cycle={cycle} />}
        </div>
      </div>
    </div>
  )
}

function TeamDetail({ team, cycle }: { team: Team; cycle: string }) {
  const { t } = useI18n()
  const app = useApp()
  const q = useObjectives(cycle, team.id)
  const cycleQ = useCycle(cycle)
  useRooms([`team:${team.id}:${cycle}`])
  const today = useOrgToday(app.me.user.timezone)
  const expected = cycleQ.data ? expectedProgress(cycleQ.data, today) : null
  const objectives = (q.data ?? []).filter((o) => !o.deleted)
  const progress = objectives.length ? objectives.reduce((s, o) => s + o.progress, 0) / objectives.length : 0
  const canEdit = app.canEditTeam(team.id)
  const past = isPast(cycle, app.currentCycle?.id)
  const leads = team.members.filter((m) => m.role === 'lead')
  return (
    <>
      <section className="card">
        <div className="card__head">
          <div>
            <h2 className="card__title">{team.name}</h2>
            <p className="muted small">
              {t('teams.members_n', { n: team.members.length })}
              {leads.length > 0 && ` · ${t('teams.leads')}: ${leads.map((l) => app.userName(l.user_id)).join(', ')}`}
            </p>
          </div>
          {!past && (
            <Link className={`btn${canEdit ? ' btn--primary' : ''}`} to={`/cycles/${cycle}/teams/${team.id}/draft`}>
              {canEdit ? t('teams.edit_okrs', { cycle }) : t('teams.view_draft', { cycle })}
            </Link>
          )}
        </div>
        <ul className="members">
          {team.members.map((m) => {
            const u = app.users.get(m.user_id)
            return (
              <li key={m.user_id}>
                <Avatar user={u} id={m.user_id} size={28} />
                <span>{u?.name ?? `#${m.user_id}`}</span>
                {m.role === 'lead' && <span className="chip chip--lead">{t('role.lead')}</span>}
              </li>
            )
          })}
        </ul>
        {objectives.length > 0 && <ProgressBar value={progress} expected={expected} label={t('dash.team_progress', { name: team.name })} size="lg" />}
        {!canEdit && <p className="muted small">{t('teams.read_only')}</p>}
      </section>
      {q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && objectives.length === 0 && (past
        ? <EmptyState title={t('quarter.empty_past', { cycle })} body={t('quarter.empty_past_body')} />
        : <EmptyState title={t('quarter.empty', { cycle })} body={canEdit ? t('quarter.empty_body') : undefined} />)}
      {past && objectives.length > 0 && <PastQuarter teamId={team.id} cycle={cycle} objectives={objectives} />}
      <div className="objectives">
        {objectives.map((o) => (
          <ObjectiveProgress key={o.id} obj={o} expected={expected} />
        ))}
      </div>
    </>
  )
}
