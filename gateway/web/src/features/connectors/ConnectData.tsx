import { useId, useState } from 'react'
import type { KeyResult } from '../../api/types'
import { Dialog } from '../../components/Dialog'
import { toast, toastError } from '../../components/Toasts'
import { Loading } from '../../components/ui'
import { useI18n } from '../../i18n'
import { formatValue } from '../../lib/progress'
import { useBinding, useRemoveBinding, useRunBinding, useSaveBinding, useSources, useTestSource, type Binding, type Source } from './api'
import { useConnectorText } from './i18n'

const EVERY = [5, 15, 30, 60, 180, 360, 1440]

/** "Connect data" on a key result (owner, lead, admin): pick a source, write the query, test it
 * and see the value before saving, choose how often; once connected: run now, pause, disconnect. */
export function ConnectData({ kr }: { kr: KeyResult }) {
  const tc = useConnectorText()
  const [open, setOpen] = useState(false)
  return (
    <>
      <button type="button" className="btn btn--link" data-testid={`kr-connect-${kr.id}`} onClick={() => setOpen(true)}>
        {kr.source ? tc('connected') : tc('connect')}
      </button>
      <Dialog open={open} title={tc('dialog.title', { title: kr.title })} onClose={() => setOpen(false)}>
        {open && <ConnectForm kr={kr} onDone={() => setOpen(false)} />}
      </Dialog>
    </>
  )
}

function ConnectForm({ kr, onDone }: { kr: KeyResult; onDone: () => void }) {
  const binding = useBinding(kr.id)
  const sources = useSources()
  if (binding.isPending || sources.isPending) return <Loading />
  return <BindingEditor kr={kr} binding={binding.data ?? null} sources={sources.data ?? []} onDone={onDone} />
}

function BindingEditor({ kr, binding, sources, onDone }: { kr: KeyResult; binding: Binding | null; sources: Source[]; onDone: () => void }) {
  const tc = useConnectorText()
  const { locale } = useI18n()
  const ids = useId()
  const [sourceId, setSourceId] = useState<number | null>(binding?.source_id ?? null)
  const [query, setQuery] = useState(binding?.query ?? '')
  const [every, setEvery] = useState(binding?.every_minutes ?? 60)
  const [scale, setScale] = useState(binding?.scale !== null && binding?.scale !== undefined ? String(binding.scale) : '')
  const [active, setActive] = useState(binding?.active ?? true)
  const [tested, setTested] = useState<{ key: string; value: number | null; error: string | null } | null>(null)
  const testing = useTestSource()
  const saving = useSaveBinding()
  const running = useRunBinding()
  const removing = useRemoveBinding()
  const busy = testing.isPending || saving.isPending || running.isPending || removing.isPending
  const at = { krId: kr.id, objectiveId: kr.objective_id }
  const source = sources.find((s) => s.id === sourceId)
  const isHook = source?.kind === 'webhook'
  const key = `${sourceId}|${query}`
  // A new query must be tested (and give a number) before it is saved; an unchanged one may be saved as it is.
  const unchanged = !!binding && binding.source_id === sourceId && (binding.query ?? '') === query
  const canSave = !!source && (isHook || unchanged || (tested?.key === key && tested.value !== null))
  const show = (v: number) => formatValue(v, kr, locale)

  const failed = (err: unknown) => toastError(err, tc('failed'))
  const test = () => {
    if (!source) return
    testing.mutate(
      { id: source.id, query: query || null, keyResultId: kr.id },
      {
        onSuccess: (out) => setTested({ key, value: out.ok ? (out.value ?? null) : null, error: out.ok ? null : (out.error ?? tc('failed')) }),
        onError: failed,
      },
    )
  }
  const save = () => {
    if (!source) return
    saving.mutate(
      { ...at, body: { source_id: source.id, query: isHook ? null : query, every_minutes: every, scale: scale.trim() === '' ? null : Number(scale), active } },
      {
        onSuccess: () => {
          toast({ text: tc('saved'), tone: 'success' })
          if (!isHook) onDone()
        },
        onError: failed,
      },
    )
  }
  const run = () =>
    running.mutate(at, {
      onSuccess: (out) => {
        if (out.error) toast({ text: out.error, tone: 'error' })
        else if (out.value !== null) toast({ text: tc(out.checked_in ? 'run.checked_in' : 'run.same', { value: show(out.value) }), tone: 'success' })
      },
      onError: failed,
    })
  const disconnect = () =>
    removing.mutate(at, {
      onSuccess: () => {
        toast({ text: tc('disconnect.done') })
        onDone()
      },
      onError: failed,
    })

  return (
    <form
      className="form connect-data"
      data-testid={`kr-connect-form-${kr.id}`}
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <p className="muted">{tc('dialog.intro')}</p>
      {binding?.state === 'failing' && binding.error && (
        <p className="connect-data__error" role="alert">
          <strong>{tc('last_error')}:</strong> {binding.error}
        </p>
      )}
      {sources.length === 0 && <p className="muted">{tc('source.none')}</p>}
      <div className="formrow">
        <label htmlFor={`${ids}-s`}>{tc('source')}</label>
        <select id={`${ids}-s`} className="select" value={sourceId ?? ''} onChange={(e) => setSourceId(e.target.value ? Number(e.target.value) : null)}>
          <option value="">{tc('source.pick')}</option>
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({tc(`kind.${s.kind}`)})
            </option>
          ))}
        </select>
      </div>
      {source && !isHook && (
        <div className="formrow">
          <label htmlFor={`${ids}-q`}>{tc('query')}</label>
          <textarea id={`${ids}-q`} className="input connect-data__query" rows={source.kind === 'sql' ? 4 : 2} spellCheck={false} placeholder={tc(`query.${source.kind}`)} value={query} onChange={(e) => setQuery(e.target.value)} />
          <div className="row">
            <button type="button" className="btn btn--ghost btn--sm" data-testid="connect-test" disabled={busy || !query.trim()} onClick={() => void test()}>
              {busy ? tc('testing') : tc('test')}
            </button>
            <output className="connect-data__result" data-testid="connect-test-result" aria-live="polite">
              {tested?.key === key && tested.value !== null && tc('test.value', { value: show(tested.value) })}
              {tested?.key === key && tested.error && <span className="danger">{tested.error}</span>}
              {!(tested?.key === key) && !unchanged && <span className="muted">{tc('test.first')}</span>}
            </output>
          </div>
        </div>
      )}
      {source && isHook && <p className="muted">{tc('query.webhook')}</p>}
      {binding?.webhook_url && (
        <div className="formrow">
          <label htmlFor={`${ids}-u`}>{tc('webhook_url')}</label>
          <input id={`${ids}-u`} className="input" readOnly value={binding.webhook_url} data-testid="connect-webhook-url" onFocus={(e) => e.target.select()} />
        </div>
      )}
      {source && !isHook && (
        <div className="formrow">
          <label htmlFor={`${ids}-e`}>{tc('every')}</label>
          <select id={`${ids}-e`} className="select" value={every} onChange={(e) => setEvery(Number(e.target.value))}>
            {EVERY.map((n) => (
              <option key={n} value={n}>
                {n < 60 ? tc('every.n', { n }) : n === 60 ? tc('every.hour') : n === 1440 ? tc('every.day') : tc('every.hours', { n: n / 60 })}
              </option>
            ))}
          </select>
        </div>
      )}
      {source && (
        <div className="formrow">
          <label htmlFor={`${ids}-x`}>{tc('scale')}</label>
          <input id={`${ids}-x`} className="input input--num" type="number" step="any" value={scale} onChange={(e) => setScale(e.target.value)} />
        </div>
      )}
      {binding && (
        <label className="check">
          <input type="checkbox" checked={!active} onChange={(e) => setActive(!e.target.checked)} />
          <span>{tc('pause')}</span>
        </label>
      )}
      <div className="row connect-data__actions">
        <button type="submit" className="btn btn--primary" data-testid="connect-save" disabled={busy || !canSave}>
          {tc('save')}
        </button>
        {binding && !isHook && (
          <button type="button" className="btn btn--ghost" data-testid="connect-run" disabled={busy} onClick={() => void run()}>
            {tc('run')}
          </button>
        )}
        {binding && (
          <button type="button" className="btn btn--ghost danger" disabled={busy} onClick={() => void disconnect()}>
            {tc('disconnect')}
          </button>
        )}
      </div>
    </form>
  )
}
