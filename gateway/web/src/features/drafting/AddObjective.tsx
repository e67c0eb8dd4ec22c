import { useState } from 'react'
import { Icon } from '../../components/icons'
import { toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { useAddObjective } from './mutations'

export function AddObjective({ cycle, teamId, onCreated }: { cycle: string; teamId: number; onCreated: (id: number) => void }) {
  const { t } = useI18n()
  const { me } = useApp()
  const [title, setTitle] = useState('')
  const addObjective = useAddObjective()
  const busy = addObjective.isPending
  const add = () => {
    if (!title.trim() || busy) return
    addObjective.mutate(
      { cycle, team_id: teamId, title: title.trim(), owner_id: me.user.id },
      {
        onSuccess: (obj) => {
          setTitle('')
          onCreated(obj.id)
        },
        onError: (err) => toastError(err, t('draft.action_failed')),
      },
    )
  }
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
