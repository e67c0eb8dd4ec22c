import { useMemo, useState } from 'react'
import { useLocation, useParams } from 'react-router'
import { ApiError } from '../../api/client'
import { useObjectiveAction } from '../../api/mutations'
import { useCycle, useObjectives, useOrgToday } from '../../api/queries'
import { Icon } from '../../components/icons'
import { toast, toastError } from '../../components/Toasts'
import { Avatar, EmptyState, ErrorState, Loading } from '../../components/ui'
import type { FieldPresence } from '../../components/Editable'
import { useI18n } from '../../i18n'
import { cycleStarted } from '../../lib/cycle'
import { usePageTitle } from '../../lib/pageTitle'
import { usePresence, usePresenceBeacon, useRooms } from '../../live/hooks'
import { editStore } from '../../live/instance'
import { editorsOf, uniquePeople } from '../../live/presence'
import { useApp, usePageCycle } from '../../state/app'
import { Chat } from '../chat/Chat'
import { PhaseBadge } from '../shell/PhaseBadge'
import { AddObjective } from './AddObjective'
import { ObjectiveCard } from './ObjectiveCard'

/** The team's drafting page: the quarter's objectives edited together, live, with the team's chat beside. */
export default function Draft() {
  const params = useParams()
  const cycle = params.cycle ?? ''
  const teamId = Number(params.team)
  const { t } = useI18n()
  const app = useApp()
  const { teamsById, me } = app
  const loc = useLocation()
  usePageCycle(cycle)
  const team = teamsById.get(teamId)
  usePageTitle(team ? t('draft.page_title', { team: team.name, cycle }) : t('nav.drafting'))

  const q = useObjectives(cycle, teamId)
  const allQ = useObjectives(cycle)
  const cycleQ = useCycle(cycle)
  const room = `team:${teamId}:${cycle}`
  const chatSubject = `draft:${cycle}:team:${teamId}`
  useRooms([room])
  const setField = usePresenceBeacon(room)
  const people = usePresence(room)
  const presence = useMemo<FieldPresence>(
    () => ({ setField, editorsOf: (key) => editorsOf(people, key, me.user.id) }),
    [setField, people, me.user.id],
  )
  const canEdit = app.canEditTeam(teamId)
  const today = useOrgToday(me.user.timezone)
  const started = cycleQ.data ? cycleStarted(cycleQ.data, today) : false
  const [chatOpen, setChatOpen] = useState(loc.hash === '#chat')
  const [newId, setNewId] = useState<number | null>(null)
  const objectives = useMemo(() => (q.data ?? []).filter((o) => !o.deleted), [q.data])
  const others = useMemo(() => (allQ.data ?? []).filter((o) => o.team_id !== teamId && !o.deleted), [allQ.data, teamId])

  const submit = useObjectiveAction()
  const submitAll = async () => {
    const ready = objectives.filter((o) => o.status === 'draft' || o.status === 'changes_requested')
    editStore.flushAll()
    let n = 0
    // One after another, each with its own answer: a refused one does not stop the others.
    for (const o of ready) {
      try {
        await submit.mutateAsync({ id: o.id, action: 'submit' })
        n++
      } catch (err) {
        toastError(err, t('draft.submit_failed'))
      }
    }
    if (n) toast({ text: t('draft.submitted_n', { n }), tone: 'success' })
  }

  if (!Number.isFinite(teamId)) return <ErrorState error={new ApiError({ status: 404, title: 'Not Found', detail: '' })} />
  const readyCount = objectives.filter((o) => o.status === 'draft' || o.status === 'changes_requested').length
  const visiblePeople = uniquePeople(people).filter((p) => p.id !== me.user.id)

  return (
    <div className={`draft${chatOpen ? ' draft--chat' : ''}`}>
      <div className="draft__doc page">
        <header className="page__head">
          <div>
            <p className="eyebrow">{t('draft.eyebrow', { cycle })}</p>
            <h1>{team?.name ?? `#${teamId}`}</h1>
            <p className="muted">{cycleQ.data && <PhaseBadge cycle={cycleQ.data} timezone={me.user.timezone} />}</p>
          </div>
          <div className="page__actions">
            <div className="presence" data-testid="presence" aria-label={t('draft.here_now')}>
              <ul className="presence__list">
                {visiblePeople.map((p) => (
                  <li key={p.id} title={p.name}>
                    <Avatar id={p.id} name={p.name} size={30} />
                    <span className="sr-only">{p.name}</span>
                  </li>
                ))}
              </ul>
              <span className="muted small">{visiblePeople.length ? t('draft.n_here', { n: visiblePeople.length }) : t('draft.only_you')}</span>
            </div>
            {canEdit && readyCount > 1 && (
              <button type="button" className="btn" onClick={() => void submitAll()}>
                {t('draft.submit_all', { n: readyCount })}
              </button>
            )}
            <button type="button" className="btn btn--ghost chat-toggle" aria-expanded={chatOpen} aria-controls="draft-chat" onClick={() => setChatOpen((o) => !o)}>
              <Icon name="chat" /> {t('chat.title')}
            </button>
          </div>
        </header>

        {!canEdit && <p className="notice">{t('draft.read_only')}</p>}
        {q.isPending && <Loading />}
        {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
        {q.data && objectives.length === 0 && (
          <EmptyState title={t('draft.empty_title', { cycle })} body={canEdit ? t('draft.empty_body') : undefined} />
        )}
        <div className="objectives">
          {objectives.map((o) => (
            <ObjectiveCard key={o.id} obj={o} canEdit={canEdit} started={started} presence={presence} alignable={others} autoFocus={o.id === newId} />
          ))}
        </div>
        {canEdit && <AddObjective cycle={cycle} teamId={teamId} onCreated={(id) => setNewId(id)} />}
      </div>
      <aside className="draft__chat" id="draft-chat" aria-label={t('draft.chat_label')}>
        <div className="sheet__head">
          <h2 className="card__title">{t('chat.title')}</h2>
          <button type="button" className="icon-btn sheet__close" aria-label={t('common.close')} onClick={() => setChatOpen(false)}>
            <Icon name="close" />
          </button>
        </div>
        <Chat subject={chatSubject} autoFocus={loc.hash === '#chat'} />
      </aside>
    </div>
  )
}
