import { useEffect, useState } from 'react'
import type { KeyResult } from '../../api/types'
import { toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'
import { useSaveMilestones } from './mutations'

/** Milestone items, one per line; saved when the field is left. */
export function MilestoneItems({ kr, canEdit }: { kr: KeyResult; canEdit: boolean }) {
  const { t } = useI18n()
  const saveItems = useSaveMilestones()
  const initial = (kr.items ?? []).map((i) => i.title).join('\n')
  const [text, setText] = useState(initial)
  useEffect(() => setText(initial), [initial])
  const id = `ms-${kr.id}`
  const save = () => {
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
    saveItems.mutate({ kr, items }, { onError: (err) => toastError(err, t('draft.action_failed')) })
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
