import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useFeedback, useObjectives } from '../../api/queries'
import type { Feedback } from '../../api/types'
import { EditableText, type FieldPresence } from '../../components/Editable'
import { FeedbackCard } from '../feedback/Feedback'
import { toastError } from '../../components/Toasts'
import { Loading, StatusChip } from '../../components/ui'
import { useI18n } from '../../i18n'
import { useEditableField, usePresence, usePresenceBeacon, useRooms } from '../../live/hooks'
import { editorsOf } from '../../live/presence'
import { useApp } from '../../state/app'
import { useStartRetro } from '../feedback/mutations'

type TextField = 'went_well' | 'to_improve'

/**
 * A team's retrospective, written like the drafting page: no save button, each field saved
 * as people type (version + base text, merged three-way by feedback), others' text merged in
 * live, and who is in which field shown. It comes into being when someone first puts the
 * cursor in it (two doing so at once get the same one).
 */
export function Retrospective({ teamId, cycle, open: initiallyOpen, onTeam }: { teamId: number; cycle: string; open: boolean; onTeam: (id: number) => void }) {
  const { t } = useI18n()
  const [open, setOpen] = useState(initiallyOpen)
  const app = useApp()
  const q = useFeedback({ kind: 'retro', team_id: teamId, cycle })
  const objectives = useObjectives(cycle, teamId)
  const existing = (q.data ?? []).find((f) => f.kind === 'retro' && f.team_id === teamId)
  const canEdit = app.canEditTeam(teamId)
  const team = app.teamsById.get(teamId)
  const myTeams = app.me.teams
  const room = `team:${teamId}:${cycle}`
  useRooms([open ? room : null])
  const setField = usePresenceBeacon(open ? room : null)
  const people = usePresence(room)
  const presence = useMemo<FieldPresence>(
    () => ({ setField, editorsOf: (key) => editorsOf(people, key, app.me.user.id) }),
    [setField, people, app.me.user.id],
  )

  const objs = (objectives.data ?? []).filter((o) => !o.deleted)
  return (
    <section className="card retro" aria-labelledby="h-retro" data-testid="retro">
      <div className="card__head">
        <h2 id="h-retro" className="card__title">
          {t('retro.title', { team: team?.name ?? '', cycle })}
        </h2>
        {!open && (
          <button type="button" className="btn btn--ghost" aria-expanded={false} onClick={() => setOpen(true)}>
            {existing ? t('retro.show') : t('retro.write')}
          </button>
        )}
        {open && myTeams.length > 1 && (
          <label className="inline-field">
            <span className="label">{t('retro.team')}</span>
            <select className="select" value={teamId} onChange={(e) => onTeam(Number(e.target.value))}>
              {myTeams.map((tm) => (
                <option key={tm.id} value={tm.id}>
                  {tm.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {!open ? null : q.isPending ? (
        <Loading />
      ) : canEdit ? (
        <RetroFields teamId={teamId} cycle={cycle} retro={existing} presence={presence} />
      ) : existing ? (
        <ul className="fblist">
          <FeedbackCard f={existing} canResolve={false} />
        </ul>
      ) : (
        <p className="muted">{t('retro.none')}</p>
      )}
      {open && <h3 className="label retro__scores-title">{t('retro.closing_scores')}</h3>}
      {!open ? null : objs.length === 0 ? (
        <p className="muted small">{t('quarter.empty', { cycle })}</p>
      ) : (
        <ul className="scores">
          {objs.map((o) => (
            <li key={o.id}>
              <StatusChip status={o.status} id={o.id} testId={false} />
              <Link to={`/objectives/${o.id}`}>{o.title}</Link>
              <span className="scores__val">{o.status === 'closed' && o.score !== null ? o.score.toFixed(1) : t('retro.not_closed')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function RetroFields({ teamId, cycle, retro, presence }: { teamId: number; cycle: string; retro: Feedback | undefined; presence: FieldPresence }) {
  const { t } = useI18n()
  const startRetro = useStartRetro()
  const [starting, setStarting] = useState<TextField | null>(null)
  const [focus, setFocus] = useState<TextField | null>(null)

  // The first person to put the cursor in an unwritten retro creates it, empty (useStartRetro).
  const start = (field: TextField) => {
    if (starting) return
    setStarting(field)
    startRetro.mutate(
      { teamId, cycle },
      {
        onSuccess: () => setFocus(field),
        onError: (err) => toastError(err, t('fb.failed')),
        onSettled: () => setStarting(null),
      },
    )
  }

  const label = { went_well: t('retro.went_well'), to_improve: t('retro.to_improve') }
  return (
    <div className="retro__form">
      <p className="muted small">{t('retro.together')}</p>
      {(['went_well', 'to_improve'] as const).map((field) => (
        <div className="formrow" key={field}>
          <span className="label">{label[field]}</span>
          {retro ? (
            <EditableText
              entity="feedback"
              id={retro.id}
              field={field}
              serverValue={retro[field] ?? ''}
              version={retro.version}
              label={label[field]}
              multiline
              maxChars={4000}
              testId={`retro-${field}`}
              presence={presence}
              autoFocus={focus === field}
            />
          ) : (
            <textarea
              className="input"
              rows={3}
              aria-label={label[field]}
              data-testid={`retro-${field}`}
              readOnly
              value=""
              placeholder={starting === field ? t('retro.starting') : ''}
              onFocus={() => void start(field)}
            />
          )}
        </div>
      ))}
      {retro && <RetroGrade retro={retro} presence={presence} />}
    </div>
  )
}

function RetroGrade({ retro, presence }: { retro: Feedback; presence: FieldPresence }) {
  const { t, fmt } = useI18n()
  const f = useEditableField('feedback', retro.id, 'score', retro.score ?? null, retro.version, false)
  const value = typeof f.value === 'number' ? f.value : null
  const editors = presence.editorsOf(f.key)
  return (
    <div className={`formrow field${editors.length ? ' field--others' : ''}`}>
      <label htmlFor={`retro-score-${retro.id}`}>
        {t('retro.grade')}: <output data-testid="retro-score">{value === null ? t('retro.not_graded') : fmt.number(value, 1)}</output>
      </label>
      <input
        id={`retro-score-${retro.id}`}
        className="range"
        type="range"
        min={0}
        max={1}
        step={0.1}
        value={value ?? 0.7}
        onChange={(e) => f.set(Math.round(Number(e.target.value) * 10) / 10)}
        onFocus={() => presence.setField(f.key)}
        onBlur={() => {
          presence.setField(null)
          f.flush()
        }}
        onPointerUp={() => f.flush()}
      />
      {f.conflict && <p className="field__note small" role="status">{t('edit.theirs_kept')}</p>}
      {f.error && <p className="field__error" role="alert">{t('edit.not_saved', { detail: f.error })}</p>}
      <p className="muted small">{t('retro.grade_hint')}</p>
    </div>
  )
}
