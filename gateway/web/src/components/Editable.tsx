import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react'
import type { PresenceUser } from '../api/types'
import { useI18n } from '../i18n'
import type { Entity, Value } from '../live/editStore'
import { useEditableField, useFlash } from '../live/hooks'
import { parseNumberInput } from '../live/numbers'
import { mapCaret } from '../live/merge'
import { colourFor } from '../live/presence'

export interface FieldPresence {
  /** Tell the room which field I am in (null when I leave it). */
  setField: (field: string | null) => void
  /** Others in this field. */
  editorsOf: (key: string) => PresenceUser[]
}

const codePoints = (s: string) => [...s].length

function PresenceFrame({ editors, children, className, flashKey }: { editors: PresenceUser[]; children: ReactNode; className?: string; flashKey?: string }) {
  const first = editors[0]
  const flashing = useFlash(flashKey ?? '')
  const style: CSSProperties | undefined = first ? ({ '--presence': colourFor(first.id) } as CSSProperties) : undefined
  return (
    <div className={`field${first ? ' field--others' : ''}${flashing && flashKey ? ' is-flash' : ''}${className ? ` ${className}` : ''}`} style={style} data-flash={flashing && flashKey ? 'on' : undefined}>
      {children}
      {first && (
        <span className="field__tag" aria-hidden="true">
          {editors.map((e) => e.name).join(', ')}
        </span>
      )}
    </div>
  )
}

/**
 * Text edited in place like a shared document: debounced saves over the socket,
 * remote changes merged in (the caret stays where it was), nothing sent or
 * overwritten while an IME composition is active.
 */
export function EditableText({
  entity,
  id,
  field,
  serverValue,
  version,
  label,
  multiline = false,
  testId,
  className,
  placeholder,
  maxChars,
  readOnly = false,
  presence,
  onFocusField,
  autoFocus,
}: {
  entity: Entity
  id: number
  field: string
  serverValue: string
  version: number
  label: string
  multiline?: boolean
  testId?: string
  className?: string
  placeholder?: string
  maxChars?: number
  readOnly?: boolean
  presence?: FieldPresence
  onFocusField?: () => void
  autoFocus?: boolean
}) {
  const { t } = useI18n()
  const f = useEditableField(entity, id, field, serverValue ?? '', version, true)
  const value = typeof f.value === 'string' ? f.value : String(f.value ?? '')
  const ref = useRef<HTMLTextAreaElement>(null)
  const lastDom = useRef(value)
  const sel = useRef<[number, number]>([value.length, value.length])
  const editors = presence?.editorsOf(f.key) ?? []

  // A remote change landed: keep the caret on the same text, not at the end.
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    if (lastDom.current !== value && document.activeElement === el) {
      const [s, e] = sel.current
      const ns = mapCaret(lastDom.current, value, s)
      const ne = mapCaret(lastDom.current, value, e)
      el.setSelectionRange(ns, ne)
      sel.current = [ns, ne]
    }
    lastDom.current = value
    if (multiline || el.scrollHeight > el.clientHeight) {
      el.style.height = 'auto'
      el.style.height = `${el.scrollHeight}px`
    }
  }, [value, multiline])

  useEffect(() => {
    if (autoFocus) ref.current?.focus()
  }, [autoFocus])

  const count = codePoints(value)
  const over = maxChars !== undefined && count > maxChars
  const errorId = `${f.key}-err`

  return (
    <PresenceFrame editors={editors} className={className} flashKey={f.key}>
      <textarea
        ref={ref}
        className={`edit${multiline ? ' edit--multi' : ''}`}
        data-testid={testId}
        aria-label={label}
        aria-invalid={over || !!f.error || undefined}
        aria-describedby={f.error || over ? errorId : undefined}
        rows={1}
        value={value}
        placeholder={placeholder}
        readOnly={readOnly}
        spellCheck
        onChange={(e) => {
          lastDom.current = e.target.value
          sel.current = [e.target.selectionStart, e.target.selectionEnd]
          f.set(e.target.value)
        }}
        onSelect={(e) => {
          sel.current = [e.currentTarget.selectionStart, e.currentTarget.selectionEnd]
        }}
        onCompositionStart={() => f.compositionStart()}
        onCompositionEnd={(e) => {
          lastDom.current = e.currentTarget.value
          f.compositionEnd(e.currentTarget.value)
        }}
        onKeyDown={(e) => {
          // Single-line fields: Enter saves instead of breaking the line.
          if (!multiline && e.key === 'Enter' && !e.nativeEvent.isComposing) {
            e.preventDefault()
            f.flush()
          }
        }}
        onFocus={() => {
          presence?.setField(f.key)
          onFocusField?.()
        }}
        onBlur={() => {
          presence?.setField(null)
          if (!f.isComposing()) f.flush()
        }}
      />
      {over ? (
        <p className="field__error" id={errorId} role="alert">
          {t('edit.too_long', { n: count, max: maxChars ?? 0 })}
        </p>
      ) : (
        <FieldNote id={errorId} error={f.error} conflict={false} onRevert={f.revert} />
      )}
      {!over && maxChars !== undefined && count > maxChars * 0.9 && (
        <p className="field__count muted small">
          {count}/{maxChars}
        </p>
      )}
    </PresenceFrame>
  )
}

/** A number edited in place; saved as a number once it parses. */
export function EditableNumber({
  entity,
  id,
  field,
  serverValue,
  version,
  label,
  readOnly,
  presence,
  onFocusField,
  min,
  className,
}: {
  entity: Entity
  id: number
  field: string
  serverValue: number
  version: number
  label: string
  readOnly?: boolean
  presence?: FieldPresence
  onFocusField?: () => void
  min?: number
  className?: string
}) {
  const f = useEditableField(entity, id, field, serverValue, version, false)
  // What the person typed ("1.", "1e309") and the value it stood for: shown as typed until the
  // field's value moves on without them (someone else's change arrived), then the new value.
  // Text that is not a finished, finite number is never sent (parseNumberInput, the store's hold).
  const [draft, setDraft] = useState<{ text: string; value: Value } | null>(null)
  const shown = draft && draft.value === f.value ? draft.text : String(f.value ?? '')
  const editors = presence?.editorsOf(f.key) ?? []
  const noteId = `${f.key}-note`
  const invalid = f.invalid && !!draft && draft.value === f.value
  void min
  return (
    <PresenceFrame editors={editors} className={className} flashKey={f.key}>
      <input
        className="edit edit--num"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        aria-label={label}
        aria-invalid={!!f.error || invalid || undefined}
        aria-describedby={f.error || f.conflict || invalid ? noteId : undefined}
        value={shown}
        readOnly={readOnly}
        onChange={(e) => {
          const text = e.target.value
          const parsed = parseNumberInput(text)
          if (parsed.ok) f.set(parsed.value)
          else f.markInvalid()
          setDraft({ text, value: parsed.ok ? parsed.value : f.current() })
        }}
        onFocus={() => {
          presence?.setField(f.key)
          onFocusField?.()
        }}
        onBlur={() => {
          presence?.setField(null)
          if (!f.invalid) setDraft(null) // an invalid text stays, with its note, until fixed or reverted
          f.flush()
        }}
      />
      <FieldNote
        id={noteId}
        error={f.error}
        conflict={f.conflict}
        invalid={invalid}
        onRevert={() => {
          f.revert()
          setDraft(null)
        }}
      />
    </PresenceFrame>
  )
}

const CONFLICT_NOTE_MS = 8000

/** Why a field's value is not the one the person chose (any editable field): refused
 * (until fixed), or, for numbers and choices, someone else's came first (for a few seconds: by then it has been read or it no longer matters). */
function FieldNote({ id, error, conflict, invalid = false, onRevert }: { id: string; error: string | null; conflict: boolean; invalid?: boolean; onRevert?: () => void }) {
  const { t } = useI18n()
  const [expired, setExpired] = useState(false)
  useEffect(() => {
    setExpired(false)
    if (!conflict) return
    const timer = setTimeout(() => setExpired(true), CONFLICT_NOTE_MS)
    return () => clearTimeout(timer)
  }, [conflict])
  const revert = onRevert && (
    <button type="button" className="btn btn--link small" data-testid="revert" onClick={onRevert}>
      {t('edit.revert')}
    </button>
  )
  if (invalid) {
    return (
      <p className="field__error" id={id} role="alert">
        {t('edit.not_a_number')} {revert}
      </p>
    )
  }
  if (error) {
    return (
      <p className="field__error" id={id} role="alert">
        {t('edit.not_saved', { detail: error })} {revert}
      </p>
    )
  }
  if (!conflict || expired) return null
  return (
    <p className="field__note small" id={id} role="status">
      {t('edit.theirs_kept')}
    </p>
  )
}

/** A choice saved at once (kind, owner, alignment). */
export function EditableSelect({
  entity,
  id,
  field,
  serverValue,
  version,
  label,
  options,
  disabled,
  presence,
  onFocusField,
  className,
  parse = (v) => v,
}: {
  entity: Entity
  id: number
  field: string
  serverValue: Value
  version: number
  label: string
  options: { value: string; label: string }[]
  disabled?: boolean
  presence?: FieldPresence
  onFocusField?: () => void
  className?: string
  parse?: (v: string) => Value
}) {
  const f = useEditableField(entity, id, field, serverValue, version, false)
  const editors = presence?.editorsOf(f.key) ?? []
  const noteId = `${f.key}-note`
  return (
    <PresenceFrame editors={editors} className={className} flashKey={f.key}>
      <select
        className="edit edit--select"
        aria-label={label}
        aria-invalid={!!f.error || undefined}
        aria-describedby={f.error || f.conflict ? noteId : undefined}
        value={f.value === null || f.value === undefined ? '' : String(f.value)}
        disabled={disabled}
        onChange={(e) => {
          f.set(parse(e.target.value))
          f.flush()
        }}
        onFocus={() => {
          presence?.setField(f.key)
          onFocusField?.()
        }}
        onBlur={() => presence?.setField(null)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldNote id={noteId} error={f.error} conflict={f.conflict} onRevert={f.revert} />
    </PresenceFrame>
  )
}

export { type Value }
