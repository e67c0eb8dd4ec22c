import { useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { useCycle, useFeedback, useObjectives, useOrgToday } from '../../api/queries'
import type { Feedback, FeedbackKind } from '../../api/types'
import { FEEDBACK_KIND_KEY, FeedbackCard, GiveFeedback } from './Feedback'
import { EmptyState, ErrorState, Loading } from '../../components/ui'
import { Retrospective } from '../retro/Retrospective'
import { useI18n, type MessageKey } from '../../i18n'
import { phaseOn } from '../../lib/cycle'
import { useRooms } from '../../live/hooks'
import { useApp, usePageCycle } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'

type Tab = 'for_me' | 'given' | 'team' | 'all'
const TABS: { id: Tab; label: MessageKey }[] = [
  { id: 'for_me', label: 'fb.tab.for_me' },
  { id: 'given', label: 'fb.tab.given' },
  { id: 'team', label: 'fb.tab.team' },
  { id: 'all', label: 'fb.tab.all' },
]
const KINDS: FeedbackKind[] = ['praise', 'suggestion', 'question', 'retro']

export default function FeedbackHub() {
  const { t } = useI18n()
  const app = useApp()
  const [params, setParams] = useSearchParams()
  const cycle = params.get('cycle') || app.cycleId
  const teamParam = Number(params.get('team')) || undefined
  usePageCycle(params.get('cycle'))
  usePageTitle(t('fb.title'))
  useRooms([cycle ? `cycle:${cycle}` : null])

  const [tab, setTab] = useState<Tab>(teamParam ? 'team' : 'for_me')
  const [kind, setKind] = useState<FeedbackKind | ''>('')
  const [giving, setGiving] = useState(false)
  const teamId = teamParam ?? app.homeTeamId
  const query = useMemo(() => {
    const base: Record<string, string | number | undefined> = { cycle, kind: kind || undefined }
    if (tab === 'for_me') return { ...base, to: 'me' }
    if (tab === 'given') return { ...base, author_id: app.me.user.id }
    if (tab === 'team') return { ...base, team_id: teamId }
    return base
  }, [tab, kind, cycle, teamId, app.me.user.id])
  const q = useFeedback(query, !!cycle)
  const cycleQ = useCycle(cycle || undefined)
  const today = useOrgToday(app.me.user.timezone)
  const phase = cycleQ.data ? phaseOn(cycleQ.data, today) : null
  // The retrospective leads at the end of the quarter (and from the retro_open deep link).
  const retroFirst = !!teamParam || phase === 'retro' || phase === 'ended'
  const objectives = useObjectives(cycle)
  const titles = useMemo(() => new Map((objectives.data ?? []).map((o) => [o.id, o])), [objectives.data])
  const list = useMemo(() => [...(q.data ?? [])].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)), [q.data])

  const canResolve = (f: Feedback) => {
    if (app.isAdmin || f.to_user_id === app.me.user.id) return true
    if (f.to_team_id && app.canEditTeam(f.to_team_id)) return true
    const o = f.objective_id ? titles.get(f.objective_id) : undefined
    return !!o && (o.owner_id === app.me.user.id || app.canEditTeam(o.team_id))
  }

  return (
    <div className="page">
      <header className="page__head">
        <div>
          <h1>{t('fb.title')}</h1>
          <p className="muted">{t('fb.subtitle', { cycle })}</p>
        </div>
        <div className="page__actions">
          {app.canWrite && (
            <button type="button" className="btn btn--primary" aria-expanded={giving} onClick={() => setGiving((g) => !g)}>
              {t('fb.give')}
            </button>
          )}
        </div>
      </header>
      {giving && (
        <section className="card" aria-label={t('fb.give')}>
          <GiveFeedback objectives={(objectives.data ?? []).filter((o) => !o.deleted)} cycle={cycle} onDone={() => setGiving(false)} />
        </section>
      )}

      {teamId && retroFirst && <Retrospective teamId={teamId} cycle={cycle} open onTeam={(id) => setParams({ team: String(id), cycle })} />}

      <div className="filters">
        <div className="tabs-inline" role="tablist" aria-label={t('fb.title')}>
          {TABS.map((tb) => (
            <button key={tb.id} type="button" role="tab" className="tab" aria-selected={tab === tb.id} onClick={() => setTab(tb.id)}>
              {t(tb.label)}
            </button>
          ))}
        </div>
        <label className="inline-field">
          <span className="label">{t('fb.kind')}</span>
          <select className="select" value={kind} onChange={(e) => setKind(e.target.value as FeedbackKind | '')}>
            <option value="">{t('fb.kind.all')}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(FEEDBACK_KIND_KEY[k])}
              </option>
            ))}
          </select>
        </label>
      </div>

      <div role="tabpanel" aria-label={t(TABS.find((x) => x.id === tab)!.label)}>
        {q.isPending && <Loading />}
        {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
        {q.data && list.length === 0 && (
          <EmptyState
            title={t(`fb.empty.${tab}` as MessageKey)}
            body={t('fb.empty_body')}
            action={tab !== 'all' ? <button type="button" className="btn" onClick={() => setTab('all')}>{t('fb.see_all')}</button> : undefined}
          />
        )}
        <ul className="fblist">
          {list.map((f) => (
            <FeedbackCard key={f.id} f={f} canResolve={canResolve(f)} objectiveTitle={f.objective_id ? titles.get(f.objective_id)?.title : undefined} />
          ))}
        </ul>
      </div>
      {teamId && !retroFirst && <Retrospective teamId={teamId} cycle={cycle} open={false} onTeam={(id) => setParams({ team: String(id), cycle })} />}
    </div>
  )
}
