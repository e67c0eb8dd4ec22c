import { useState } from 'react'
import { Link } from 'react-router'
import { useObjectiveAction } from '../../api/mutations'
import type { Objective } from '../../api/types'
import { EditableSelect, EditableText, type FieldPresence } from '../../components/Editable'
import { Icon } from '../../components/icons'
import { toast, toastError } from '../../components/Toasts'
import { StatusChip } from '../../components/ui'
import { useI18n } from '../../i18n'
import { useFlash } from '../../live/hooks'
import { editStore } from '../../live/instance'
import { useApp } from '../../state/app'
import { ApprovalNote, useCanApprove } from '../approval/ApprovalNote'
import { ObjectiveHints } from '../hints'
import { AddKeyResult } from './AddKeyResult'
import { KrEditRow } from './KrEditRow'
import { useDeleteObjective } from './mutations'
import { RequestChangesDialog } from './RequestChangesDialog'

/** One objective on the drafting page: its fields, its key results, submit and approve. */
export function ObjectiveCard({
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
  const flashing = useFlash(`objective:${obj.id}`)
  const [structural, setStructural] = useState(false)
  const [asking, setAsking] = useState(false)
  const objectiveAction = useObjectiveAction()
  const deleteObjective = useDeleteObjective()
  const busy = objectiveAction.isPending
  const needsReapproval = (obj.status === 'submitted' || obj.status === 'approved') && !started
  const onStructural = needsReapproval ? () => setStructural(true) : undefined
  const canApprove = useCanApprove(obj) // the server's rule: it names who approves
  const krs = obj.key_results.filter((k) => !k.deleted)
  const teamName = (id: number) => app.teamsById.get(id)?.name ?? ''

  const act = (action: 'submit' | 'approve') => {
    editStore.flushAll()
    objectiveAction.mutate(
      { id: obj.id, action },
      {
        onSuccess: () => toast({ text: action === 'submit' ? t('draft.submitted_one') : t('draft.approved_one'), tone: 'success' }),
        onError: (err) => toastError(err, t('draft.action_failed')),
      },
    )
  }
  const remove = () => deleteObjective.mutate(obj)

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
