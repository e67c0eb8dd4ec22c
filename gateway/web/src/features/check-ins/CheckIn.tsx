import { useEffect, useId, useRef, useState, type MouseEvent } from 'react'
import type { CheckIn, KeyResult } from '../../api/types'
import { useDeleteCheckIn, useRecordCheckIn, useUpdateCheckIn, type CheckInBody } from './mutations'
import { useI18n } from '../../i18n'
import { formatValue, fractionAt, krProgress, valueAtFraction } from '../../lib/progress'
import { ForecastMarker } from '../forecast'
import { ProgressBar } from '../../components/ui'
import { toast, toastError } from '../../components/Toasts'

const AUTO_CLOSE_MS = 8000
const HINT_KEY = 'boost.checkin-hint-seen'
// One hint on the page at a time: the first bar that mounts shows it, until a first check-in.
let hintHolder: number | null = null
function hintSeen(): boolean {
  try {
    return localStorage.getItem(HINT_KEY) === '1'
  } catch {
    return true
  }
}
function markHintSeen(): void {
  try {
    localStorage.setItem(HINT_KEY, '1')
  } catch {
    /* private mode: the hint simply shows again next time */
  }
}

/**
 * The one-click progress control (`kr-checkin-{id}`): click where you are on the
 * bar (number, percent), tick the box (boolean) or an item (milestone), and it
 * is recorded. A small popover then offers confidence and a note, and an Undo,
 * and closes by itself.
 */
export function CheckInControl({ kr, expected, canCheckIn, showIds = true }: { kr: KeyResult; expected?: number | null; canCheckIn: boolean; showIds?: boolean }) {
  const { t, locale } = useI18n()
  const recordCheckIn = useRecordCheckIn()
  const busy = recordCheckIn.isPending
  const [recorded, setRecorded] = useState<CheckIn | null>(null)
  const [askValue, setAskValue] = useState(false)
  const [hover, setHover] = useState<number | null>(null)
  // On a touch screen a tap only opens the check-in, pre-set where it landed; a second tap
  // records it (a stray tap while scrolling records nothing). A mouse click records at once.
  const lastPointer = useRef<string>('mouse')
  const [tapped, setTapped] = useState<number | null>(null)
  const [showHint, setShowHint] = useState(false)
  useEffect(() => {
    if (!canCheckIn || hintSeen() || hintHolder !== null) return
    hintHolder = kr.id
    setShowHint(true)
    return () => {
      if (hintHolder === kr.id) hintHolder = null
    }
  }, [canCheckIn, kr.id])
  const progress = krProgress(kr)
  const checkinId = showIds ? `kr-checkin-${kr.id}` : undefined
  const progressId = showIds ? `kr-progress-${kr.id}` : undefined
  const barLabel = t('kr.progress_of', { title: kr.title })

  function record(value: number | CheckInBody) {
    if (busy) return
    setAskValue(false)
    setTapped(null)
    recordCheckIn.mutate(
      { kr, body: typeof value === 'number' ? { value } : value },
      {
        onSuccess: (ci) => {
          setRecorded(ci)
          markHintSeen()
          setShowHint(false)
        },
        onError: (err) => toastError(err, t('checkin.failed')),
      },
    )
  }

  const bar = <ProgressBar value={progress} expected={expected} label={barLabel} testId={progressId} health={kr.health} marker={<ForecastMarker kr={kr} showIds={showIds} />} />

  if (kr.kind === 'boolean') {
    return (
      <div className="checkin checkin--bool">
        {bar}
        <label className="check">
          <input
            type="checkbox"
            data-testid={canCheckIn ? checkinId : undefined}
            checked={kr.current >= 1}
            disabled={!canCheckIn || busy}
            onChange={(e) => void record(e.target.checked ? 1 : 0)}
          />
          <span>{t('kr.done')}</span>
        </label>
        {recorded && <CheckInPopover kr={kr} checkIn={recorded} onClose={() => setRecorded(null)} />}
      </div>
    )
  }

  if (kr.kind === 'milestone') {
    const items = kr.items ?? []
    return (
      <div className="checkin checkin--milestone">
        {bar}
        <fieldset className="milestones" data-testid={canCheckIn ? checkinId : undefined} disabled={!canCheckIn || busy}>
          <legend className="sr-only">{t('kr.milestones_of', { title: kr.title })}</legend>
          {items.length === 0 && <span className="muted small">{t('kr.no_milestones')}</span>}
          {items.map((item) => (
            <label key={item.id} className="check">
              <input type="checkbox" checked={item.done} onChange={(e) => void record({ item_id: item.id, done: e.target.checked })} />
              <span className={item.done ? 'done' : ''}>{item.title}</span>
            </label>
          ))}
        </fieldset>
        {recorded && <CheckInPopover kr={kr} checkIn={recorded} onClose={() => setRecorded(null)} />}
      </div>
    )
  }

  if (!canCheckIn) return <div className="checkin">{bar}</div>

  const onClick = (e: MouseEvent<HTMLButtonElement>) => {
    // Keyboard activation (detail 0) asks for the value instead of guessing a position.
    if (e.detail === 0) {
      setAskValue(true)
      return
    }
    const rect = e.currentTarget.getBoundingClientRect()
    const value = valueAtFraction(kr, fractionAt(e.clientX, rect.left, rect.width))
    if (lastPointer.current === 'touch') setTapped(value)
    else void record(value)
  }
  const hoverValue = hover === null ? null : valueAtFraction(kr, hover)

  return (
    <>
    <div className={`checkin checkin--bar${busy ? ' is-busy' : ''}`} data-testid={checkinId}>
      {bar}
      <button
        type="button"
        className="checkin__hit"
        aria-label={t('checkin.click_label', { title: kr.title, value: formatValue(kr.current, kr, locale) })}
        onClick={onClick}
        onPointerDown={(e) => {
          lastPointer.current = e.pointerType
        }}
        onMouseMove={(e) => {
          const rect = e.currentTarget.getBoundingClientRect()
          setHover(fractionAt(e.clientX, rect.left, rect.width))
        }}
        onMouseLeave={() => setHover(null)}
        disabled={busy}
      />
      {hover !== null && hoverValue !== null && (
        <span className="checkin__ghost" style={{ left: `${hover * 100}%` }} aria-hidden="true">
          <span className="checkin__ghost-label">{formatValue(hoverValue, kr, locale)}</span>
        </span>
      )}
      {askValue && <ValuePopover kr={kr} onSubmit={(v) => void record(v)} onClose={() => setAskValue(false)} />}
      {tapped !== null && <ValuePopover kr={kr} initial={tapped} confirm onSubmit={(v) => void record(v)} onClose={() => setTapped(null)} />}
      {recorded && <CheckInPopover kr={kr} checkIn={recorded} onClose={() => setRecorded(null)} />}
    </div>
    {/* Below the bar, not beside it (it squeezed the bar to nothing) nor inside its hit area. */}
    {showHint && (
      <p className="checkin__hint muted small" data-testid="checkin-hint">
        {t('checkin.hint')}
      </p>
    )}
    </>
  )
}

function usePopoverDismiss(ref: React.RefObject<HTMLElement | null>, onClose: () => void, autoCloseMs?: number) {
  const [engaged, setEngaged] = useState(false)
  const close = useRef(onClose)
  close.current = onClose
  useEffect(() => {
    const onDoc = (e: Event) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close.current()
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current()
    }
    document.addEventListener('pointerdown', onDoc)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onDoc)
      document.removeEventListener('keydown', onKey)
    }
  }, [ref])
  useEffect(() => {
    if (!autoCloseMs || engaged) return
    const timer = setTimeout(() => close.current(), autoCloseMs)
    return () => clearTimeout(timer)
  }, [autoCloseMs, engaged])
  return setEngaged
}

function ValuePopover({ kr, onSubmit, onClose, initial, confirm = false }: { kr: KeyResult; onSubmit: (v: number) => void; onClose: () => void; initial?: number; confirm?: boolean }) {
  const { t, locale } = useI18n()
  const ref = useRef<HTMLFormElement>(null)
  const id = useId()
  const [value, setValue] = useState(String(initial ?? kr.current))
  usePopoverDismiss(ref, onClose)
  return (
    <form
      ref={ref}
      className="popover"
      onSubmit={(e) => {
        e.preventDefault()
        const n = Number(value)
        if (Number.isFinite(n)) onSubmit(n)
      }}
    >
      <label htmlFor={id}>{t('checkin.new_value', { unit: kr.kind === 'percent' ? '%' : kr.unit || '' })}</label>
      <div className="row">
        {/* On a phone the keyboard would cover the page: the tapped value is shown ready to confirm. */}
        <input id={id} className="input" type="number" inputMode="decimal" step="any" value={value} onChange={(e) => setValue(e.target.value)} autoFocus={!confirm} />
        <button type="submit" className="btn btn--primary" data-testid={confirm ? 'checkin-confirm' : undefined}>
          {confirm && Number.isFinite(Number(value)) ? t('checkin.record_value', { value: formatValue(Number(value), kr, locale) }) : t('checkin.record')}
        </button>
        {confirm && (
          <button type="button" className="btn btn--ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  )
}

function CheckInPopover({ kr, checkIn, onClose }: { kr: KeyResult; checkIn: CheckIn; onClose: () => void }) {
  const { t, locale } = useI18n()
  const ref = useRef<HTMLDivElement>(null)
  const confId = useId()
  const noteId = useId()
  const [confidence, setConfidence] = useState<number>(kr.confidence ?? 7)
  const [touched, setTouched] = useState(false)
  const [note, setNote] = useState('')
  const update = useUpdateCheckIn()
  const remove = useDeleteCheckIn()
  const saving = update.isPending
  const setEngaged = usePopoverDismiss(ref, onClose, AUTO_CLOSE_MS)

  const save = () =>
    update.mutate(
      { checkIn, changes: { confidence, ...(note.trim() ? { note: note.trim() } : {}) } },
      { onSuccess: onClose, onError: (err) => toastError(err, t('checkin.failed')) },
    )
  const undo = () =>
    remove.mutate(checkIn, {
      onSuccess: () => {
        toast({ text: t('checkin.undone') })
        onClose()
      },
      onError: (err) => toastError(err, t('checkin.failed')),
    })

  return (
    <div
      ref={ref}
      className="popover"
      role="dialog"
      aria-label={t('checkin.recorded_title')}
      onFocus={() => setEngaged(true)}
      onPointerDown={() => setEngaged(true)}
    >
      <div className="popover__head">
        <strong>{t('checkin.recorded', { value: formatValue(checkIn.value, kr, locale) })}</strong>
        <button type="button" className="btn btn--ghost btn--sm" onClick={() => void undo()}>
          {t('common.undo')}
        </button>
      </div>
      <label htmlFor={confId} className="small">
        {t('checkin.confidence')}: <output>{touched || kr.confidence !== null ? confidence : '–'}</output>/10
      </label>
      <input
        id={confId}
        type="range"
        min={0}
        max={10}
        step={1}
        value={confidence}
        onChange={(e) => {
          setTouched(true)
          setConfidence(Number(e.target.value))
        }}
        className="range"
      />
      <label htmlFor={noteId} className="small">
        {t('checkin.note')}
      </label>
      <textarea id={noteId} className="input" rows={2} value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('checkin.note_ph')} />
      <div className="popover__foot">
        <button type="button" className="btn btn--ghost" onClick={onClose}>
          {t('common.close')}
        </button>
        <button type="button" className="btn btn--primary" disabled={saving} onClick={() => void save()}>
          {t('common.save')}
        </button>
      </div>
    </div>
  )
}
