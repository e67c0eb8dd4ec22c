import { useId, useState } from 'react'
import { Link } from 'react-router'
import type { Feedback, FeedbackKind, Objective } from '../../api/types'
import { useI18n, type MessageKey } from '../../i18n'
import { useFlash } from '../../live/hooks'
import { useApp } from '../../state/app'
import { EditableText } from '../../components/Editable'
import { toast, toastError } from '../../components/Toasts'
import { Avatar } from '../../components/ui'
import { useGiveFeedback, useResolveFeedback } from './mutations'

export const FEEDBACK_KINDS: Exclude<FeedbackKind, 'retro'>[] = ['praise', 'suggestion', 'question']
export const FEEDBACK_KIND_KEY: Record<FeedbackKind, MessageKey> = {
  praise: 'fb.kind.praise',
  suggestion: 'fb.kind.suggestion',
  question: 'fb.kind.question',
  retro: 'fb.kind.retro',
}

export function FeedbackCard({ f, objectiveTitle, canResolve }: { f: Feedback; objectiveTitle?: string; canResolve: boolean }) {
  const { t, fmt } = useI18n()
  const { users, teamsById, me } = useApp()
  const flashing = useFlash(`feedback:${f.id}`)
  const author = users.get(f.author_id)
  // Its author rewords it in place, saved as typed (version + base, like the retro): two tabs never overwrite each other.
  const mine = f.author_id === me.user.id
  const [editing, setEditing] = useState(false)
  const resolve = useResolveFeedback()
  const busy = resolve.isPending
  const toggle = () => resolve.mutate({ id: f.id, resolved: !f.resolved }, { onError: (err) => toastError(err, t('fb.failed')) })
  const to = f.to_user_id ? users.get(f.to_user_id)?.name : f.to_team_id ? teamsById.get(f.to_team_id)?.name : null
  return (
    <li className={`fbcard fbcard--${f.kind}${f.resolved ? ' is-resolved' : ''}${flashing ? ' is-flash' : ''}`}>
      <div className="fbcard__head">
        <span className={`kind kind--${f.kind}`}>{t(FEEDBACK_KIND_KEY[f.kind])}</span>
        <Avatar user={author} id={f.author_id} size={22} />
        <span className="small">
          <strong>{author?.name ?? `#${f.author_id}`}</strong>
          {to && <span className="muted"> → {to}</span>}
        </span>
        <time className="muted small" dateTime={f.created_at}>
          {fmt.relative(f.created_at)}
        </time>
      </div>
      {f.kind === 'retro' ? (
        <div className="fbcard__retro">
          {f.went_well && (
            <p>
              <strong>{t('retro.went_well')}:</strong> {f.went_well}
            </p>
          )}
          {f.to_improve && (
            <p>
              <strong>{t('retro.to_improve')}:</strong> {f.to_improve}
            </p>
          )}
          {f.score !== null && f.score !== undefined && (
            <p>
              <strong>{t('retro.grade')}:</strong> {f.score.toFixed(1)}
            </p>
          )}
        </div>
      ) : editing ? (
        <EditableText entity="feedback" id={f.id} field="body" serverValue={f.body} version={f.version} label={t('fb.body')} multiline maxChars={4000} testId={`feedback-body-${f.id}`} autoFocus />
      ) : (
        <p className="fbcard__body">{f.body}</p>
      )}
      <div className="fbcard__foot">
        {f.objective_id && (
          <Link to={`/objectives/${f.objective_id}`} className="small">
            {objectiveTitle ?? t('fb.about_objective', { id: f.objective_id })}
          </Link>
        )}
        <span className="fbcard__actions">
          {f.resolved && <span className="chip chip--approved">{t('fb.resolved')}</span>}
          {mine && f.kind !== 'retro' && (
            <button type="button" className="btn btn--ghost btn--sm" aria-pressed={editing} onClick={() => setEditing((e) => !e)}>
              {editing ? t('fb.done_editing') : t('fb.edit')}
            </button>
          )}
          {canResolve && f.kind !== 'retro' && (
            <button type="button" className="btn btn--ghost btn--sm" disabled={busy} onClick={() => void toggle()}>
              {f.resolved ? t('fb.reopen') : t('fb.resolve')}
            </button>
          )}
        </span>
      </div>
    </li>
  )
}

export function GiveFeedback({ objectives, fixedObjective, cycle, onDone }: { objectives?: Objective[]; fixedObjective?: Objective; cycle: string; onDone?: () => void }) {
  const { t } = useI18n()
  const [objectiveId, setObjectiveId] = useState<string>(fixedObjective ? String(fixedObjective.id) : '')
  const [kind, setKind] = useState<Exclude<FeedbackKind, 'retro'>>('praise')
  const [body, setBody] = useState('')
  const give = useGiveFeedback()
  const busy = give.isPending
  const ids = useId()
  const send = () => {
    if (!body.trim() || !objectiveId) return
    const obj = fixedObjective ?? objectives?.find((o) => String(o.id) === objectiveId)
    give.mutate(
      { cycle: obj?.cycle ?? cycle, objective_id: Number(objectiveId), to_user_id: obj?.owner_id ?? null, kind, body: body.trim() },
      {
        onSuccess: () => {
          setBody('')
          toast({ text: t('fb.sent'), tone: 'success' })
          onDone?.()
        },
        onError: (err) => toastError(err, t('fb.failed')),
      },
    )
  }
  return (
    <form
      className="giveform"
      onSubmit={(e) => {
        e.preventDefault()
        void send()
      }}
    >
      {!fixedObjective && (
        <div className="formrow">
          <label htmlFor={`${ids}-o`}>{t('fb.objective')}</label>
          <select id={`${ids}-o`} className="select" value={objectiveId} onChange={(e) => setObjectiveId(e.target.value)} required>
            <option value="">{t('fb.pick_objective')}</option>
            {(objectives ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.title}
              </option>
            ))}
          </select>
        </div>
      )}
      <fieldset className="formrow">
        <legend>{t('fb.kind')}</legend>
        <div className="segmented">
          {FEEDBACK_KINDS.map((k) => (
            <label key={k} className="segmented__opt">
              <input type="radio" name={`${ids}-kind`} value={k} checked={kind === k} onChange={() => setKind(k)} />
              <span>{t(FEEDBACK_KIND_KEY[k])}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="formrow">
        <label htmlFor={`${ids}-b`}>{t('fb.body')}</label>
        <textarea id={`${ids}-b`} className="input" rows={3} value={body} maxLength={4000} onChange={(e) => setBody(e.target.value)} placeholder={t('fb.body_ph')} required />
      </div>
      <button type="submit" className="btn btn--primary" disabled={busy || !body.trim() || !objectiveId}>
        {t('fb.send')}
      </button>
    </form>
  )
}
