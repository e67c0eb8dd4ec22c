import { keys } from '../../api/queries'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useParams, useSearchParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import type { Close } from '../../api/bodies'
import { CarryOverButton } from '../carryover'
import { ApiError } from '../../api/client'
import { useObjectiveAction } from '../../api/mutations'
import { useCycle, useFeedback, useObjective, useObjectiveHistory, useObjectives, useOrgToday } from '../../api/queries'
import type { HistoryEntry, Objective } from '../../api/types'
import { Chat } from '../chat/Chat'
import { Dialog } from '../../components/Dialog'
import { FeedbackCard, GiveFeedback } from '../feedback/Feedback'
import { KrRow } from '../check-ins/KrRow'
import { toast, toastError } from '../../components/Toasts'
import { PhaseBadge } from '../shell/PhaseBadge'
import { Avatar, EmptyState, ErrorState, HealthBadge, Loading, ProgressBar, StatusChip } from '../../components/ui'
import { labelOr, useI18n, type Vars } from '../../i18n'
import { expectedProgress, phaseOn } from '../../lib/cycle'
import { historyLines, keyResultTitles, type HistoryLine } from '../../lib/history'
import { useFlash, useRooms } from '../../live/hooks'
import { useApp, usePageCycle } from '../../state/app'
import { ApprovalNote, useCanApprove } from '../approval/ApprovalNote'
import { RequestChangesDialog } from '../drafting/RequestChangesDialog'
import { usePageTitle } from '../../lib/pageTitle'

export default function ObjectivePage() {
  const { id: idParam } = useParams()
  const id = Number(idParam)
  const [params] = useSearchParams()
  const targetKr = Number(params.get('kr')) || undefined
  const loc = useLocation()
  const { t } = useI18n()
  const app = useApp()
  const q = useObjective(Number.isFinite(id) ? id : undefined)
  const obj = q.data
  useRooms([`objective:${id}`])
  usePageTitle(obj?.title)
  usePageCycle(obj?.cycle)
  const cycleQ = useCycle(obj?.cycle)
  const today = useOrgToday(app.me.user.timezone)
  const siblings = useObjectives(obj?.cycle)
  const chatRef = useRef<HTMLElement>(null)
  const wantsChat = loc.hash === '#chat'

  useEffect(() => {
    if (wantsChat && obj) chatRef.current?.scrollIntoView({ block: 'start' })
  }, [wantsChat, obj])

  if (q.isPending) return <Loading />
  if (q.isError || !obj) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />

  const expected = cycleQ.data ? expectedProgress(cycleQ.data, today) : obj.expected_progress
  const phase = cycleQ.data ? phaseOn(cycleQ.data, today) : null
  const parent = siblings.data?.find((o) => o.id === obj.parent_id)
  const children = (siblings.data ?? []).filter((o) => o.parent_id === obj.id && !o.deleted)
  const team = app.teamsById.get(obj.team_id)
  const owner = app.users.get(obj.owner_id)
  const canEdit = app.canEditTeam(obj.team_id)
  const canCheckIn = (ownerId: number) => obj.status !== 'closed' && app.canWrite && (app.isAdmin || ownerId === app.me.user.id || canEdit)
  const krs = obj.key_results.filter((k) => !k.deleted)

  return (
    <div className="objpage">
      <div className="objpage__main page">
        <nav className="crumbs" aria-label={t('objective.breadcrumbs')}>
          <Link to={`/teams/${obj.team_id}?cycle=${obj.cycle}`}>{team?.name ?? `#${obj.team_id}`}</Link>
          <span aria-hidden="true"> / </span>
          <Link to={`/cycles/${obj.cycle}`}>{obj.cycle}</Link>
        </nav>
        <ObjectiveHeader obj={obj} ownerName={owner?.name} expected={expected} />
        <div className="objpage__meta">
          <span className="kr__owner">
            <Avatar user={owner} id={obj.owner_id} size={24} /> {owner?.name ?? `#${obj.owner_id}`}
          </span>
          {cycleQ.data && <PhaseBadge cycle={cycleQ.data} timezone={app.me.user.timezone} />}
          {canEdit && obj.status !== 'closed' && (
            <Link className="btn btn--link" to={`/cycles/${obj.cycle}/teams/${obj.team_id}/draft`}>
              {t('objective.edit_in_draft')}
            </Link>
          )}
        </div>
        {obj.description && <p className="objpage__desc">{obj.description}</p>}
        {obj.status === 'changes_requested' && obj.review?.comment && (
          <div className="review" role="note">
            <strong>{t('draft.changes_requested_by', { name: app.userName(obj.review.by) })}</strong>
            <p>{obj.review.comment}</p>
          </div>
        )}
        <Actions obj={obj} canEdit={canEdit} phase={phase} />

        <section className="card" aria-labelledby="h-align">
          <h2 id="h-align" className="card__title">
            {t('objective.alignment')}
          </h2>
          <dl className="align">
            <dt>{t('objective.supports')}</dt>
            <dd>{parent ? <Link to={`/objectives/${parent.id}`}>{parent.title}</Link> : obj.parent_id ? <Link to={`/objectives/${obj.parent_id}`}>#{obj.parent_id}</Link> : <span className="muted">{t('objective.supports_nothing')}</span>}</dd>
            <dt>{t('objective.supported_by')}</dt>
            <dd>
              {children.length === 0 ? (
                <span className="muted">{t('objective.supported_by_none')}</span>
              ) : (
                <ul className="plain">
                  {children.map((c) => (
                    <li key={c.id}>
                      <Link to={`/objectives/${c.id}`}>{c.title}</Link> <span className="muted small">· {app.teamsById.get(c.team_id)?.name}</span>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="h-krs">
          <h2 id="h-krs" className="card__title">
            {t('draft.key_results')}
          </h2>
          {krs.length === 0 ? (
            <EmptyState title={t('draft.no_krs')} />
          ) : (
            <ul className="krs">
              {krs.map((kr) => (
                <KrRow key={kr.id} kr={kr} expected={expected} canCheckIn={canCheckIn(kr.owner_id)} highlighted={kr.id === targetKr} teamId={obj.team_id} />
              ))}
            </ul>
          )}
        </section>

        <FeedbackSection obj={obj} />
        <HistorySection obj={obj} />
      </div>
      <aside className="objpage__chat card" id="chat" ref={chatRef} aria-labelledby="h-chat">
        <h2 id="h-chat" className="card__title">
          {t('chat.title')}
        </h2>
        <Chat subject={`objective:${obj.id}`} autoFocus={wantsChat} />
      </aside>
    </div>
  )
}

function ObjectiveHeader({ obj, expected }: { obj: Objective; ownerName?: string; expected: number | null }) {
  const { t } = useI18n()
  const flashing = useFlash(`objective:${obj.id}`)
  return (
    <header className={`objpage__head${flashing ? ' is-flash' : ''}`} data-testid={`objective-${obj.id}`}>
      <div className="ocard__top">
        <StatusChip status={obj.status} id={obj.id} />
        <HealthBadge health={obj.health} />
        {obj.carried_from_id && (
          <Link to={`/objectives/${obj.carried_from_id}`} className="small">
            {t('objective.carried_from')}
          </Link>
        )}
      </div>
      <h1 data-testid={`objective-title-${obj.id}`}>{obj.title}</h1>
      <ProgressBar value={obj.progress} expected={expected} label={t('objective.progress_of', { title: obj.title })} size="lg" health={obj.health} />
      <p className="muted small">{t('objective.progress_line', { pct: Math.round(obj.progress * 100), expected: Math.round((expected ?? 0) * 100) })}</p>
      {obj.status === 'closed' && (
        <p className="closed-note">
          <strong>{t('objective.score', { score: (obj.score ?? 0).toFixed(1) })}</strong>
          {obj.closing_note && <> — {obj.closing_note}</>}
        </p>
      )}
    </header>
  )
}

function Actions({ obj, canEdit, phase }: { obj: Objective; canEdit: boolean; phase: string | null }) {
  const { t } = useI18n()
  const app = useApp()
  const [asking, setAsking] = useState(false)
  const [closing, setClosing] = useState(false)
  const objectiveAction = useObjectiveAction()
  const busy = objectiveAction.isPending
  const canApprove = useCanApprove(obj) // the server's rule: it names who approves
  // Closing: its owner, a lead of its team, or an admin (okr's Actor.can_close).
  const canClose = app.isAdmin || obj.owner_id === app.me.user.id || !!app.teamsById.get(obj.team_id)?.members?.some((m) => m.user_id === app.me.user.id && m.role === 'lead')
  const endOfCycle = phase === 'retro' || phase === 'ended' || obj.needs_closing
  // Before its quarter starts a plan is changed or deleted, not closed with a score.
  const started = phase !== null && !['upcoming', 'drafting', 'approval_due'].includes(phase)

  const run = (action: 'submit' | 'approve') =>
    objectiveAction.mutate(
      { id: obj.id, action },
      {
        onSuccess: () => toast({ text: action === 'submit' ? t('draft.submitted_one') : t('draft.approved_one'), tone: 'success' }),
        onError: (err) => toastError(err, t('draft.action_failed')),
      },
    )

  const buttons = []
  if (canEdit && (obj.status === 'draft' || obj.status === 'changes_requested'))
    buttons.push(
      <button key="s" type="button" className="btn btn--primary" disabled={busy} onClick={() => void run('submit')}>
        {t('draft.submit')}
      </button>,
    )
  if (canApprove)
    buttons.push(
      <button key="a" type="button" className="btn btn--primary" disabled={busy} onClick={() => void run('approve')}>
        {t('draft.approve')}
      </button>,
      <button key="r" type="button" className="btn" disabled={busy} onClick={() => setAsking(true)}>
        {t('draft.request_changes')}
      </button>,
    )
  if (canClose && started && obj.status !== 'closed')
    buttons.push(
      <button key="c" type="button" className={`btn${endOfCycle ? ' btn--primary' : ''}`} disabled={busy} onClick={() => setClosing(true)}>
        {t('objective.close')}
      </button>,
    )
  // An open objective is carried over from its close dialog, with the score chosen there.
  if (canEdit && obj.status === 'closed' && obj.progress < 1) buttons.push(<CarryOverButton key="co" obj={obj} disabled={busy} />)
  if (!buttons.length) return obj.status === 'submitted' ? <ApprovalNote obj={obj} /> : null
  return (
    <div className="actions">
      {endOfCycle && obj.status !== 'closed' && canEdit && <p className="notice notice--quiet">{t('objective.needs_closing')}</p>}
      <div className="row">{buttons}</div>
      {!canApprove && <ApprovalNote obj={obj} />}
      <RequestChangesDialog open={asking} objective={obj} onClose={() => setAsking(false)} />
      <CloseDialog open={closing} obj={obj} onClose={() => setClosing(false)} />
    </div>
  )
}

function CloseDialog({ open, obj, onClose }: { open: boolean; obj: Objective; onClose: () => void }) {
  const { t } = useI18n()
  const qc = useQueryClient()
  const suggested = Math.round(obj.progress * 10) / 10
  const [score, setScore] = useState(suggested)
  const [note, setNote] = useState('')
  const closing = useObjectiveAction()
  const closingFirst = useObjectiveAction()
  const busy = closing.isPending
  // Someone closed it first: their score and note are shown beside mine, nothing is overwritten.
  const [closedBy, setClosedBy] = useState<Objective | null>(null)
  useEffect(() => {
    if (open) setScore(suggested)
  }, [open, suggested])
  const close = () =>
    closing.mutate(
      { id: obj.id, action: 'close', body: { score, note } satisfies Close },
      {
        onSuccess: () => {
          toast({ text: t('objective.closed'), tone: 'success' })
          onClose()
        },
        onError: (err) => {
          const current = err instanceof ApiError && err.status === 409 ? (err.problem as { current?: Objective }).current : undefined
          if (current?.status === 'closed') {
            setClosedBy(current)
            void qc.invalidateQueries({ queryKey: keys.objective(obj.id) })
          } else toastError(err, t('draft.action_failed'))
        },
      },
    )
  const closeFirst = async () => {
    await closingFirst.mutateAsync({ id: obj.id, action: 'close', body: { score, note } satisfies Close })
  }
  return (
    <Dialog
      open={open}
      title={t('objective.close_title')}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn btn--ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className={`btn${obj.progress < 1 ? '' : ' btn--primary'}`} disabled={busy} onClick={() => void close()}>
            {t('objective.close')}
          </button>
          {open && obj.progress < 1 && <CarryOverButton obj={obj} before={closeFirst} primary disabled={busy} onDone={onClose} />}
        </>
      }
    >
      {closedBy && (
        <div className="notice" role="alert" data-testid="closed-meanwhile">
          <p>{t('objective.closed_meanwhile', { score: (closedBy.score ?? 0).toFixed(1) })}</p>
          {closedBy.closing_note && <p className="muted">“{closedBy.closing_note}”</p>}
          {note.trim() && <p className="small">{t('objective.your_note_kept')}</p>}
        </div>
      )}
      <label htmlFor="close-score">
        {t('objective.score_label')}: <output>{score.toFixed(1)}</output>
      </label>
      <input id="close-score" className="range" type="range" min={0} max={1} step={0.1} value={score} onChange={(e) => setScore(Number(e.target.value))} />
      <p className="muted small">{t('objective.score_hint', { s: suggested.toFixed(1) })}</p>
      <label htmlFor="close-note">{t('objective.closing_note')}</label>
      <textarea id="close-note" className="input" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
    </Dialog>
  )
}

function FeedbackSection({ obj }: { obj: Objective }) {
  const { t } = useI18n()
  const app = useApp()
  const q = useFeedback({ objective_id: obj.id })
  const [giving, setGiving] = useState(false)
  const list = useMemo(() => [...(q.data ?? [])].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)), [q.data])
  const canResolve = obj.owner_id === app.me.user.id || app.canEditTeam(obj.team_id)
  return (
    <section className="card" aria-labelledby="h-fb">
      <div className="card__head">
        <h2 id="h-fb" className="card__title">
          {t('objective.feedback')}
        </h2>
        {app.canWrite && (
          <button type="button" className="btn btn--ghost" aria-expanded={giving} onClick={() => setGiving((g) => !g)}>
            {t('fb.give')}
          </button>
        )}
      </div>
      {giving && <GiveFeedback fixedObjective={obj} cycle={obj.cycle} onDone={() => setGiving(false)} />}
      {q.isPending && <Loading />}
      {q.data && list.length === 0 && <p className="muted">{t('objective.feedback_empty')}</p>}
      <ul className="fblist">
        {list.map((f) => (
          <FeedbackCard key={f.id} f={f} canResolve={canResolve} objectiveTitle={obj.title} />
        ))}
      </ul>
    </section>
  )
}

function HistorySection({ obj }: { obj: Objective }) {
  const { t, fmt } = useI18n()
  const { userName } = useApp()
  const [open, setOpen] = useState(false)
  const q = useObjectiveHistory(obj.id, open)
  const lines = useMemo(() => historyLines(q.data ?? []), [q.data])
  const krTitles = useMemo(() => keyResultTitles(obj.key_results, q.data ?? []), [obj.key_results, q.data])

  const label = (key: string, fallback: string, vars?: Vars) => labelOr(t, key, fallback, vars)
  const what = (h: HistoryEntry) =>
    label(`history.${h.entity}.${h.action}`, `${h.action} (${h.entity})`, { title: krTitles.get(h.entity_id) ?? `#${h.entity_id}` })
  const value = (field: string, v: unknown): string => {
    if (v === null || v === undefined || v === '') return field === 'parent_id' ? t('draft.supports_none') : '∅'
    if (field === 'owner_id' && typeof v === 'number') return userName(v)
    if (field === 'status') return label(`status.${String(v)}`, String(v))
    if (field === 'kind') return label(`kind_kr.${String(v)}`, String(v))
    if ((field === 'parent_id' || field === 'carried_to') && typeof v === 'number') return `#${v}`
    if (field === 'items' && Array.isArray(v)) return v.map((i: { title?: string }) => i.title ?? '').join(', ') || '∅'
    return short(v)
  }
  const change = (c: HistoryLine['changes'][number]) => {
    const name = label(`history.field.${c.field}`, c.field)
    const empty = c.before === null || c.before === undefined || c.before === ''
    return empty ? `${name}: ${value(c.field, c.after)}` : `${name}: ${value(c.field, c.before)} → ${value(c.field, c.after)}`
  }

  return (
    <section className="card" aria-labelledby="h-hist">
      <div className="card__head">
        <h2 id="h-hist" className="card__title">
          {t('objective.history')}
        </h2>
        <button type="button" className="btn btn--ghost" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? t('common.hide') : t('common.show')}
        </button>
      </div>
      {open && q.isPending && <Loading />}
      {open && q.isError && <ErrorState error={q.error} />}
      {open && q.data && q.data.length === 0 && <p className="muted">{t('objective.history_empty')}</p>}
      {open && q.data && (
        <ol className="history" data-testid="history">
          {lines.map(({ entry: h, changes, edits }) => (
            <li key={h.id}>
              <time className="muted small" dateTime={h.at}>
                {fmt.dateTime(h.at)}
              </time>{' '}
              <strong>{h.actor_id !== null ? userName(h.actor_id) : (h.actor ?? '')}</strong> {what(h)}
              {edits > 1 && <span className="muted small"> · {t('history.n_edits', { n: edits })}</span>}
              {changes.length > 0 && <span className="history__what">{changes.map(change).join('; ')}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

function short(v: unknown): string {
  if (v === null || v === undefined || v === '') return '∅'
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 59)}…` : s
}
