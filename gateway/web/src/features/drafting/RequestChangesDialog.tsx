import { useState } from 'react'
import type { RequestChanges } from '../../api/bodies'
import { useObjectiveAction } from '../../api/mutations'
import type { Objective } from '../../api/types'
import { Dialog } from '../../components/Dialog'
import { toast, toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'

/** An approver sends an objective back with a comment (drafting page and objective page). */
export function RequestChangesDialog({ open, objective, onClose }: { open: boolean; objective: Objective; onClose: () => void }) {
  const { t } = useI18n()
  const [comment, setComment] = useState('')
  const requestChanges = useObjectiveAction()
  const busy = requestChanges.isPending
  const id = `rc-${objective.id}`
  const send = () => {
    if (!comment.trim()) return
    requestChanges.mutate(
      { id: objective.id, action: 'request-changes', body: { comment: comment.trim() } satisfies RequestChanges },
      {
        onSuccess: () => {
          toast({ text: t('draft.changes_sent') })
          setComment('')
          onClose()
        },
        onError: (err) => toastError(err, t('draft.action_failed')),
      },
    )
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
