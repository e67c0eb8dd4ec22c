import { useState } from 'react'
import type { Objective } from '../../api/types'
import { Icon } from '../../components/icons'
import { toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { useAddKeyResult } from './mutations'

export function AddKeyResult({ objective, onStructural }: { objective: Objective; onStructural?: () => void }) {
  const { t } = useI18n()
  const { me } = useApp()
  const [open, setOpen] = useState(false)
  const [title, setTitle] = useState('')
  const addKeyResult = useAddKeyResult()
  const busy = addKeyResult.isPending
  const id = `addkr-${objective.id}`
  const add = () => {
    if (!title.trim() || busy) return
    addKeyResult.mutate(
      {
        objectiveId: objective.id,
        body: { title: title.trim(), kind: 'number', start: 0, target: 100, unit: '', weight: 1, owner_id: me.user.id },
      },
      { onSuccess: () => setTitle(''), onError: (err) => toastError(err, t('draft.action_failed')) },
    )
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
