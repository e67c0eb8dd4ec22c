import { useCallback, useEffect, useMemo, useState } from 'react'
import { Link, useLocation, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import type { KeyResultCreate, KeyResultPatch, ObjectiveCreate, RequestChanges } from '../../api/bodies'
import { api, ApiError } from '../../api/client'
import { objectiveAction } from '../../api/mutations'
import { keys, useCycle, useObjectives } from '../../api/queries'
import type { KeyResult, KrKind, Objective } from '../../api/types'
import { Chat } from '../chat/Chat'
import { Dialog } from '../../components/Dialog'
import { EditableNumber, EditableSelect, EditableText, type FieldPresence } from '../../components/Editable'
import { Icon } from '../../components/icons'
import { toast, toastError } from '../../components/Toasts'
import { PhaseBadge } from '../shell/PhaseBadge'
import { Avatar, EmptyState, ErrorState, Loading, StatusChip } from '../../components/ui'
import { useI18n } from '../../i18n'
import { cycleStarted, todayIn } from '../../lib/cycle'
import { putKeyResult, putObjective } from '../../api/cache'
import { editStore } from '../../live/instance'
import { ObjectiveHints } from '../hints'
import { useFlash, usePresence, usePresenceBeacon, useRooms } from '../../live/hooks'
import { editorsOf, uniquePeople } from '../../live/presence'
import { useApp, usePageCycle } from '../../state/app'
import { ApprovalNote, useCanApprove } from '../approval/ApprovalNote'
import { usePageTitle } from '../../lib/pageTitle'

const KINDS: KrKind[] = ['number', 'percent', 'boolean', 'milestone']
const KIND_KEY = { number: 'kind_kr.number', percent: 'kind_kr.percent', boolean: 'kind_kr.boolean', milestone: 'kind_kr.milestone' } as const

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
  const started = cycleQ.data ? cycleStarted(cycleQ.data, todayIn(me.user.timezone)) : false
  const [chatOpen, setChatOpen] = useState(loc.hash === '#chat')
  const [newId, setNewId] = useState<number | null>(null)
  const objectives = useMemo(() => (q.data ?? []).filter((o) => !o.deleted), [q.data])
  const others = useMemo(() => (allQ.data ?? []).filter((o) => o.team_id !== teamId && !o.deleted), [allQ.data, teamId])

  const qcRef = useQueryClient()
  const submitAll = async () => {
    const ready = objectives.filter((o) => o.status === 'draft' || o.status === 'changes_requested')
    editStore.flushAll()
    let n = 0
    for (const o of ready) {
      try {
        await objectiveAction(qcRef, o.id, 'submit')
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

function ObjectiveCard({
  obj,
  canEdit,
  started,
  presence,
  alignable,
  autoFocus,
}: {
  obj: Objective
  canEdit: boolean
  started: boolean
  presence: FieldPresence
  alignable: Objective[]
  autoFocus: boolean
}) {
  const { t } = useI18n()
  const app = useApp()
  const qc = useQueryClient()
  const flashing = useFlash(`objective:${obj.id}`)
  const [structural, setStructural] = useState(false)
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const needsReapproval = (obj.status === 'submitted' || obj.status === 'approved') && !started
  const onStructural = needsReapproval ? () => setStructural(true) : undefined
  const canApprove = useCanApprove(obj) // the server's rule: it names who approves
  const krs = obj.key_results.filter((k) => !k.deleted)
  const teamName = (id: number) => app.teamsById.get(id)?.name ?? ''

  const act = async (action: 'submit' | 'approve') => {
    setBusy(true)
    editStore.flushAll()
    try {
      await objectiveAction(qc, obj.id, action)
      toast({ text: action === 'submit' ? t('draft.submitted_one') : t('draft.approved_one'), tone: 'success' })
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    } finally {
      setBusy(false)
    }
  }

  const remove = async () => {
    try {
      await api.del(`/api/okr/objectives/${obj.id}`)
      putObjective(qc, obj, true)
      editStore.drop('objective', obj.id)
      toast({
        text: t('draft.deleted', { title: obj.title }),
        action: {
          label: t('common.undo'),
          run: async () => {
            try {
              await api.post(`/api/okr/objectives/${obj.id}/restore`)
            } catch (err) {
              toastError(err, t('draft.action_failed'))
            }
            void qc.invalidateQueries({ queryKey: keys.objectivesAll })
          },
        },
      })
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    }
  }

  const alignOptions = [
    { value: '', label: t('draft.supports_none') },
    ...alignable.map((o) => ({ value: String(o.id), label: `${teamName(o.team_id)} · ${o.title}` })),
  ]
  const ownerOptions = [...app.users.values()].filter((u) => u.active !== false).map((u) => ({ value: String(u.id), label: u.name }))

  return (
    <article className={`ocard${flashing ? ' is-flash' : ''}`} data-testid={`objective-${obj.id}`} aria-label={obj.title}>
      <div className="ocard__top">
        <StatusChip status={obj.status} id={obj.id} />
        <Link to={`/objectives/${obj.id}`} className="btn btn--link small" aria-label={t('draft.open_objective', { title: obj.title })}>
          {t('draft.open')}
        </Link>
        {canEdit && (
          <button type="button" className="icon-btn ocard__delete" aria-label={t('draft.delete_objective', { title: obj.title })} onClick={() => void remove()}>
            <Icon name="trash" size={18} />
          </button>
        )}
      </div>
      {structural && needsReapproval && (
        <p className="notice notice--quiet" role="note">
          {t('draft.reapproval')}
        </p>
      )}
      {obj.status === 'changes_requested' && obj.review?.comment && (
        <div className="review" role="note">
          <strong>{t('draft.changes_requested_by', { name: app.userName(obj.review.by) })}</strong>
          <p>{obj.review.comment}</p>
        </div>
      )}
      <EditableText
        entity="objective"
        id={obj.id}
        field="title"
        serverValue={obj.title}
        version={obj.version}
        label={t('draft.objective_title')}
        testId={`objective-title-${obj.id}`}
        className="ocard__title"
        multiline
        maxChars={200}
        readOnly={!canEdit}
        presence={presence}
        onFocusField={onStructural}
        autoFocus={autoFocus}
      />
      <EditableText
        entity="objective"
        id={obj.id}
        field="description"
        serverValue={obj.description ?? ''}
        version={obj.version}
        label={t('draft.description')}
        placeholder={canEdit ? t('draft.description_ph') : ''}
        className="ocard__desc"
        multiline
        maxChars={5000}
        readOnly={!canEdit}
        presence={presence}
      />
      <div className="ocard__meta">
        <label className="meta-field">
          <span className="label">{t('draft.owner')}</span>
          <EditableSelect
            entity="objective"
            id={obj.id}
            field="owner_id"
            serverValue={obj.owner_id}
            version={obj.version}
            label={t('draft.owner')}
            options={ownerOptions}
            disabled={!canEdit}
            presence={presence}
            parse={Number}
          />
        </label>
        <label className="meta-field meta-field--grow">
          <span className="label">{t('draft.supports')}</span>
          <EditableSelect
            entity="objective"
            id={obj.id}
            field="parent_id"
            serverValue={obj.parent_id ?? null}
            version={obj.version}
            label={t('draft.supports')}
            options={alignOptions}
            disabled={!canEdit}
            presence={presence}
            parse={(v) => (v === '' ? null : Number(v))}
          />
        </label>
      </div>

      <h3 className="ocard__krs-title">{t('draft.key_results')}</h3>
      {krs.length === 0 && <p className="muted small">{t('draft.no_krs')}</p>}
      <ol className="krlist">
        {krs.map((kr) => (
          <KrEditRow key={kr.id} kr={kr} canEdit={canEdit} presence={presence} onStructural={onStructural} ownerOptions={ownerOptions} />
        ))}
      </ol>
      {canEdit && <AddKeyResult objective={obj} onStructural={onStructural} />}
      {obj.status !== 'closed' && <ObjectiveHints obj={obj} />}

      <footer className="ocard__actions">
        {canEdit && (obj.status === 'draft' || obj.status === 'changes_requested') && (
          <button type="button" className="btn btn--primary" disabled={busy || krs.length === 0} title={krs.length === 0 ? t('draft.needs_kr') : undefined} onClick={() => void act('submit')}>
            {t('draft.submit')}
          </button>
        )}
        {canApprove && (
          <>
            <button type="button" className="btn btn--primary" disabled={busy} onClick={() => void act('approve')}>
              {t('draft.approve')}
            </button>
            <button type="button" className="btn" disabled={busy} onClick={() => setAsking(true)}>
              {t('draft.request_changes')}
            </button>
          </>
        )}
        {obj.status === 'submitted' && !canApprove && <ApprovalNote obj={obj} />}
      </footer>
      <RequestChangesDialog open={asking} objective={obj} onClose={() => setAsking(false)} />
    </article>
  )
}

export function RequestChangesDialog({ open, objective, onClose }: { open: boolean; objective: Objective; onClose: () => void }) {
  const { t } = useI18n()
  const qc = useQueryClient()
  const [comment, setComment] = useState('')
  const [busy, setBusy] = useState(false)
  const id = `rc-${objective.id}`
  const send = async () => {
    if (!comment.trim()) return
    setBusy(true)
    try {
      await objectiveAction(qc, objective.id, 'request-changes', { comment: comment.trim() } satisfies RequestChanges)
      toast({ text: t('draft.changes_sent') })
      setComment('')
      onClose()
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Dialog
      open={open}
      title={t('draft.request_changes')}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn btn--ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn--primary" disabled={!comment.trim() || busy} onClick={() => void send()}>
            {t('draft.send_request')}
          </button>
        </>
      }
    >
      <p className="muted">{objective.title}</p>
      <label htmlFor={id}>{t('draft.comment_required')}</label>
      <textarea id={id} className="input" rows={4} value={comment} required onChange={(e) => setComment(e.target.value)} autoFocus />
    </Dialog>
  )
}

function KrEditRow({
  kr,
  canEdit,
  presence,
  onStructural,
  ownerOptions,
}: {
  kr: KeyResult
  canEdit: boolean
  presence: FieldPresence
  onStructural?: () => void
  ownerOptions: { value: string; label: string }[]
}) {
  const { t } = useI18n()
  const qc = useQueryClient()
  const flashing = useFlash(`kr:${kr.id}`)
  const kindOptions = KINDS.map((k) => ({ value: k, label: t(KIND_KEY[k]) }))
  const numeric = kr.kind === 'number' || kr.kind === 'percent'

  const remove = async () => {
    onStructural?.()
    try {
      await api.del(`/api/okr/key-results/${kr.id}`)
      putKeyResult(qc, kr, true)
      editStore.drop('key_result', kr.id)
      toast({
        text: t('draft.kr_deleted', { title: kr.title }),
        action: { label: t('common.undo'), run: () => void restoreKr(qc, kr) },
      })
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    }
  }

  return (
    <li className={`kredit${flashing ? ' is-flash' : ''}`} data-testid={`kr-${kr.id}`} id={`kr-${kr.id}`}>
      <EditableText
        entity="key_result"
        id={kr.id}
        field="title"
        serverValue={kr.title}
        version={kr.version}
        label={t('draft.kr_title')}
        className="kredit__title"
        multiline
        maxChars={200}
        readOnly={!canEdit}
        presence={presence}
      />
      <div className="kredit__fields">
        <label className="meta-field">
          <span className="label">{t('draft.kind')}</span>
          <EditableSelect entity="key_result" id={kr.id} field="kind" serverValue={kr.kind} version={kr.version} label={t('draft.kind')} options={kindOptions} disabled={!canEdit} presence={presence} onFocusField={onStructural} />
        </label>
        {numeric && (
          <>
            {/* Start → Target stay together on one line: on a phone the pair wraps as a whole. */}
            <span className="kredit__range" data-testid={`kr-range-${kr.id}`}>
            <label className="meta-field meta-field--num">
              <span className="label">{t('draft.start')}</span>
              <EditableNumber entity="key_result" id={kr.id} field="start" serverValue={kr.start} version={kr.version} label={t('draft.start')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} />
            </label>
            <span className="kredit__arrow" aria-hidden="true">
              →
            </span>
            <label className="meta-field meta-field--num">
              <span className="label">{t('draft.target')}</span>
              <EditableNumber entity="key_result" id={kr.id} field="target" serverValue={kr.target} version={kr.version} label={t('draft.target')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} />
            </label>
            </span>
            {kr.kind === 'number' && (
              <label className="meta-field meta-field--unit">
                <span className="label">{t('draft.unit')}</span>
                <EditableText entity="key_result" id={kr.id} field="unit" serverValue={kr.unit ?? ''} version={kr.version} label={t('draft.unit')} readOnly={!canEdit} presence={presence} placeholder={t('draft.unit_ph')} />
              </label>
            )}
          </>
        )}
        <label className="meta-field meta-field--num">
          <span className="label">{t('draft.weight')}</span>
          <EditableNumber entity="key_result" id={kr.id} field="weight" serverValue={kr.weight} version={kr.version} label={t('draft.weight')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} min={0} />
        </label>
        <label className="meta-field">
          <span className="label">{t('draft.owner')}</span>
          <EditableSelect entity="key_result" id={kr.id} field="owner_id" serverValue={kr.owner_id} version={kr.version} label={t('draft.owner')} options={ownerOptions} disabled={!canEdit} presence={presence} parse={Number} />
        </label>
        {canEdit && (
          <button type="button" className="icon-btn kredit__delete" aria-label={t('draft.delete_kr', { title: kr.title })} onClick={() => void remove()}>
            <Icon name="trash" size={18} />
          </button>
        )}
      </div>
      {kr.kind === 'milestone' && <MilestoneItems kr={kr} canEdit={canEdit} />}
    </li>
  )
}

/** Milestone items, one per line; saved when the field is left. */
function MilestoneItems({ kr, canEdit }: { kr: KeyResult; canEdit: boolean }) {
  const { t } = useI18n()
  const qc = useQueryClient()
  const initial = (kr.items ?? []).map((i) => i.title).join('\n')
  const [text, setText] = useState(initial)
  useEffect(() => setText(initial), [initial])
  const id = `ms-${kr.id}`
  const save = async () => {
    if (text === initial) return
    const byTitle = new Map((kr.items ?? []).map((i) => [i.title, i]))
    const items = text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((title) => {
        const prev = byTitle.get(title)
        return prev ? { id: prev.id, title, done: prev.done } : { title, done: false }
      })
    try {
      const out = await api.patch<KeyResult>(`/api/okr/key-results/${kr.id}`, { version: kr.version, items } satisfies KeyResultPatch)
      if (out?.id) putKeyResult(qc, out)
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    }
  }
  return (
    <div className="milestone-edit">
      <label htmlFor={id} className="label">
        {t('draft.milestones')}
      </label>
      <textarea id={id} className="input" rows={Math.max(2, text.split('\n').length)} value={text} readOnly={!canEdit} placeholder={t('draft.milestones_ph')} onChange={(e) => setText(e.target.value)} onBlur={() => void save()} />
    </div>
  )
}

async function restoreKr(qc: ReturnType<typeof useQueryClient>, kr: KeyResult) {
  try {
    const out = await api.post<KeyResult>(`/api/okr/key-results/${kr.id}/restore`)
    if (out?.id) putKeyResult(qc, out)
  } catch (err) {
    // No restore for key results on this server: put it back as it was.
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
      const { title, kind, start, target, unit, weight, owner_id } = kr
      const out = await api.post<KeyResult>(`/api/okr/objectives/${kr.objective_id}/key-results`, { title, kind, start, target, unit, weight, owner_id })
      if (out?.id) putKeyResult(qc, out)
    } else toastError(err, 'Undo failed')
  }
  void qc.invalidateQueries({ queryKey: keys.objectivesAll })
}

function AddKeyResult({ objective, onStructural }: { objective: Objective; onStructural?: () => void }) {
  const { t } = useI18n()
  const { me } = useApp()
  const qc = useQueryClient()
  const [open, setOpen] = useState(false)
  const [title, setTitle] = useState('')
  const [busy, setBusy] = useState(false)
  const id = `addkr-${objective.id}`
  const add = async () => {
    if (!title.trim() || busy) return
    setBusy(true)
    try {
      const kr = await api.post<KeyResult>(`/api/okr/objectives/${objective.id}/key-results`, {
        title: title.trim(),
        kind: 'number',
        start: 0,
        target: 100,
        unit: '',
        weight: 1,
        owner_id: me.user.id,
      } satisfies KeyResultCreate)
      if (kr?.id) putKeyResult(qc, { ...kr, objective_id: kr.objective_id ?? objective.id })
      void qc.invalidateQueries({ queryKey: keys.objectivesAll })
      setTitle('')
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    } finally {
      setBusy(false)
    }
  }
  if (!open) {
    return (
      <button
        type="button"
        className="btn btn--ghost add-btn"
        onClick={() => {
          onStructural?.()
          setOpen(true)
        }}
      >
        <Icon name="plus" size={18} /> {t('draft.add_kr')}
      </button>
    )
  }
  return (
    <form
      className="addform"
      onSubmit={(e) => {
        e.preventDefault()
        void add()
      }}
    >
      <label htmlFor={id} className="sr-only">
        {t('draft.kr_title')}
      </label>
      <input id={id} className="input" value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t('draft.kr_ph')} autoFocus maxLength={200} />
      <button type="submit" className="btn btn--primary" disabled={!title.trim() || busy}>
        {t('common.add')}
      </button>
      <button type="button" className="btn btn--ghost" onClick={() => setOpen(false)}>
        {t('common.done')}
      </button>
    </form>
  )
}

function AddObjective({ cycle, teamId, onCreated }: { cycle: string; teamId: number; onCreated: (id: number) => void }) {
  const { t } = useI18n()
  const { me } = useApp()
  const qc = useQueryClient()
  const [title, setTitle] = useState('')
  const [busy, setBusy] = useState(false)
  const add = useCallback(async () => {
    if (!title.trim() || busy) return
    setBusy(true)
    try {
      const obj = await api.post<Objective>('/api/okr/objectives', { cycle, team_id: teamId, title: title.trim(), owner_id: me.user.id } satisfies ObjectiveCreate)
      qc.setQueryData<Objective[]>(keys.objectives(cycle, teamId), (list) =>
        list && !list.some((o) => o.id === obj.id) ? [...list, { ...obj, key_results: obj.key_results ?? [] }] : list,
      )
      void qc.invalidateQueries({ queryKey: keys.objectivesAll })
      setTitle('')
      onCreated(obj.id)
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    } finally {
      setBusy(false)
    }
  }, [title, busy, cycle, teamId, me.user.id, qc, onCreated, t])
  return (
    <form
      className="addobj"
      onSubmit={(e) => {
        e.preventDefault()
        void add()
      }}
    >
      <label htmlFor="new-objective" className="label">
        {t('draft.add_objective')}
      </label>
      <div className="row">
        <input id="new-objective" className="input input--lg" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} placeholder={t('draft.objective_ph', { cycle })} />
        <button type="submit" className="btn btn--primary" disabled={!title.trim() || busy}>
          <Icon name="plus" size={18} /> {t('common.add')}
        </button>
      </div>
    </form>
  )
}
