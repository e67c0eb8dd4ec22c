import { Suspense, useEffect, useRef, useState } from 'react'
import type { CheckIn, KeyResult } from '../../api/types'
import { useCheckIns } from '../../api/queries'
import { useDeleteCheckIn, useUpdateCheckIn } from './mutations'
import { KrChart } from '../../charts'
import { useI18n } from '../../i18n'
import { serverNow } from '../../lib/clock'
import { formatValue } from '../../lib/progress'
import { useFlash } from '../../live/hooks'
import { useApp } from '../../state/app'
import { CheckInAuthor } from '../connectors/CheckInSource'
import { ConnectData } from '../connectors/ConnectData'
import { canBind } from '../connectors/permissions'
import { SourceBadge } from '../connectors/SourceBadge'
import { CheckInControl } from './CheckIn'
import { toast, toastError } from '../../components/Toasts'
import { Avatar, ConfidenceDot, FlagBadges, HealthBadge, Loading } from '../../components/ui'

const DAY_MS = 86_400_000

/** A key result as people read it during the quarter: bar, numbers, health, and its history on demand. */
export function KrRow({
  kr,
  expected,
  canCheckIn,
  highlighted = false,
  showIds = true,
  context,
  teamId,
}: {
  kr: KeyResult
  expected?: number | null
  canCheckIn: boolean
  highlighted?: boolean
  showIds?: boolean
  context?: string
  /** The key result's team: its leads may connect it to data. */
  teamId?: number
}) {
  const { t, fmt, locale } = useI18n()
  const app = useApp()
  const { users } = app
  const [open, setOpen] = useState(highlighted)
  const ref = useRef<HTMLLIElement>(null)
  const flashing = useFlash(`kr:${kr.id}`)
  const owner = users.get(kr.owner_id)

  useEffect(() => {
    if (highlighted && ref.current) {
      ref.current.scrollIntoView({ block: 'center', behavior: 'smooth' })
      ref.current.focus({ preventScroll: true })
    }
  }, [highlighted])

  const value = kr.kind === 'milestone' ? `${kr.items?.filter((i) => i.done).length ?? kr.current} / ${kr.items?.length ?? 0}` : kr.kind === 'boolean' ? (kr.current >= 1 ? t('kr.done') : t('kr.not_done')) : `${formatValue(kr.current, kr, locale)} / ${formatValue(kr.target, kr, locale)}`

  return (
    <li
      ref={ref}
      id={showIds ? `kr-${kr.id}` : undefined}
      data-testid={showIds ? `kr-${kr.id}` : undefined}
      className={`kr${flashing ? ' is-flash' : ''}${highlighted ? ' is-target' : ''}`}
      tabIndex={highlighted ? -1 : undefined}
    >
      <div className="kr__head">
        <div className="kr__title">
          {context && <span className="kr__context">{context}</span>}
          <span>{kr.title}</span>
        </div>
        <div className="kr__badges">
          <HealthBadge health={kr.health} compact />
          <FlagBadges behind={kr.behind} stale={kr.stale} />
          <SourceBadge kr={kr} showIds={showIds} />
        </div>
      </div>
      <CheckInControl kr={kr} expected={expected} canCheckIn={canCheckIn} showIds={showIds} />
      <div className="kr__meta">
        <span className="kr__owner">
          <Avatar user={owner} id={kr.owner_id} name={owner?.name} size={20} />
          {owner?.name ?? `#${kr.owner_id}`}
        </span>
        <span className="kr__value">{value}</span>
        <ConfidenceDot confidence={kr.confidence} />
        <span className="muted">{kr.last_check_in_at ? t('kr.last_checkin', { when: fmt.relative(kr.last_check_in_at) }) : t('kr.never_checked_in')}</span>
        <button type="button" className="btn btn--link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? t('kr.hide_history') : t('kr.show_history')}
        </button>
        {showIds && kr.kind !== 'milestone' && canBind(app, kr, teamId) && <ConnectData kr={kr} />}
      </div>
      {open && <KrDetails kr={kr} />}
    </li>
  )
}

export function KrDetails({ kr }: { kr: KeyResult }) {
  const { t, fmt, locale } = useI18n()
  const { me, isAdmin, canWrite, userName } = useApp()
  const q = useCheckIns(kr.id)
  const [editing, setEditing] = useState<number | null>(null)
  const [all, setAll] = useState(false)
  const sorted = [...(q.data ?? [])].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
  const list = all ? sorted : sorted.slice(0, 5)
  const canChange = (c: CheckIn) => canWrite && (isAdmin || (c.author_id === me.user.id && serverNow() - Date.parse(c.created_at) < DAY_MS))

  const deleteCheckIn = useDeleteCheckIn()
  const remove = (c: CheckIn) =>
    deleteCheckIn.mutate(c, {
      onSuccess: () => toast({ text: t('checkin.deleted') }),
      onError: (err) => toastError(err, t('checkin.failed')),
    })

  return (
    <div className="kr__details">
      {q.isLoading && <Loading />}
      {q.data && q.data.length > 0 && (
        <Suspense fallback={<div className="chart chart--placeholder" />}>
          <KrChart kr={kr} checkIns={q.data} />
        </Suspense>
      )}
      {q.data && q.data.length === 0 && <p className="muted">{t('checkin.none_yet')}</p>}
      {list.length > 0 && (
        <ol className="checkins">
          {list.map((c) => (
            <li key={c.id} className="checkins__item">
              {editing === c.id ? (
                <CheckInEditor checkIn={c} kr={kr} onDone={() => setEditing(null)} />
              ) : (
                <>
                  <div className="checkins__line">
                    <strong>{formatValue(c.value, kr, locale)}</strong>
                    {c.confidence !== null && <span className="muted">{t('kr.confidence_short', { n: c.confidence })}</span>}
                    <span className="muted">
                      <CheckInAuthor checkIn={c} personName={userName(c.author_id)} /> · <time dateTime={c.created_at}>{fmt.dateTime(c.created_at)}</time>
                    </span>
                    {canChange(c) && (
                      <span className="checkins__actions">
                        <button type="button" className="btn btn--link" onClick={() => setEditing(c.id)}>
                          {t('common.edit')}
                        </button>
                        <button type="button" className="btn btn--link danger" onClick={() => void remove(c)}>
                          {t('common.delete')}
                        </button>
                      </span>
                    )}
                  </div>
                  {c.note && <p className="checkins__note">{c.note}</p>}
                </>
              )}
            </li>
          ))}
        </ol>
      )}
      {sorted.length > list.length && (
        <button type="button" className="btn btn--link" onClick={() => setAll(true)}>
          {t('checkin.show_all', { n: sorted.length })}
        </button>
      )}
    </div>
  )
}

function CheckInEditor({ checkIn, kr, onDone }: { checkIn: CheckIn; kr: KeyResult; onDone: () => void }) {
  const { t } = useI18n()
  const update = useUpdateCheckIn()
  const [value, setValue] = useState(String(checkIn.value))
  const [confidence, setConfidence] = useState(checkIn.confidence === null ? '' : String(checkIn.confidence))
  const [note, setNote] = useState(checkIn.note ?? '')
  const base = `ci-${checkIn.id}`
  return (
    <form
      className="form-inline"
      onSubmit={(e) => {
        e.preventDefault()
        update.mutate(
          { checkIn, changes: { value: Number(value), confidence: confidence === '' ? null : Number(confidence), note } },
          { onSuccess: onDone, onError: (err) => toastError(err, t('checkin.failed')) },
        )
      }}
    >
      <label htmlFor={`${base}-v`} className="small">
        {t('checkin.value')} {kr.unit && `(${kr.unit})`}
      </label>
      <input id={`${base}-v`} className="input input--num" type="number" step="any" value={value} onChange={(e) => setValue(e.target.value)} />
      <label htmlFor={`${base}-c`} className="small">
        {t('checkin.confidence')}
      </label>
      <input id={`${base}-c`} className="input input--num" type="number" min={0} max={10} value={confidence} onChange={(e) => setConfidence(e.target.value)} />
      <label htmlFor={`${base}-n`} className="small">
        {t('checkin.note')}
      </label>
      <input id={`${base}-n`} className="input" value={note} onChange={(e) => setNote(e.target.value)} />
      <button type="submit" className="btn btn--primary btn--sm">
        {t('common.save')}
      </button>
      <button type="button" className="btn btn--ghost btn--sm" onClick={onDone}>
        {t('common.cancel')}
      </button>
    </form>
  )
}
