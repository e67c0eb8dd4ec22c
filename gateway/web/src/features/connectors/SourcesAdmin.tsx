import { useId, useState } from 'react'
import { toast, toastError } from '../../components/Toasts'
import { EmptyState, ErrorState, Loading } from '../../components/ui'
import { useI18n } from '../../i18n'
import { usePageTitle } from '../../lib/pageTitle'
import { useApp } from '../../state/app'
import { SOURCE_KINDS, useDeleteSource, useSaveSource, useSources, useTestSource, type Source, type SourceKind } from './api'
import { useConnectorText } from './i18n'

/** /admin/sources: the data sources key results can be connected to (admins). The secret
 * field is write-only: the page only ever learns whether one is stored. */
export default function SourcesAdmin() {
  const tc = useConnectorText()
  const { t } = useI18n()
  const { isAdmin } = useApp()
  usePageTitle(tc('admin.title'))
  const q = useSources()
  const [editing, setEditing] = useState<number | 'new' | null>(null)
  if (!isAdmin) return <EmptyState title={t('error.forbidden')} body={t('admin.only')} />
  return (
    <div className="page">
      <header className="page__head">
        <div>
          <h1>{tc('admin.title')}</h1>
          <p className="muted">{tc('admin.sub')}</p>
        </div>
        <button type="button" className="btn btn--primary" data-testid="source-add" onClick={() => setEditing('new')}>
          {tc('admin.add')}
        </button>
      </header>
      {q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {editing === 'new' && <SourceForm onDone={() => setEditing(null)} />}
      {q.data && q.data.length === 0 && editing !== 'new' && <p className="muted">{tc('admin.empty')}</p>}
      <ul className="sources">
        {(q.data ?? []).map((s) => (
          <li key={s.id} className="card source-row" data-testid={`source-${s.id}`}>
            {editing === s.id ? <SourceForm source={s} onDone={() => setEditing(null)} /> : <SourceLine source={s} onEdit={() => setEditing(s.id)} />}
          </li>
        ))}
      </ul>
    </div>
  )
}

function SourceLine({ source, onEdit }: { source: Source; onEdit: () => void }) {
  const tc = useConnectorText()
  const { t } = useI18n()
  const deleteSource = useDeleteSource()
  const remove = () => {
    if (!window.confirm(tc('admin.delete_confirm', { name: source.name }))) return
    deleteSource.mutate(source.id, { onSuccess: () => toast({ text: tc('admin.deleted') }), onError: (err) => toastError(err, tc('failed')) })
  }
  return (
    <div className="source-row__line">
      <div className="source-row__main">
        <strong>{source.name}</strong>
        <span className="muted small">
          {tc(`kind.${source.kind}`)} · {source.has_secret ? tc('admin.has_secret') : tc('admin.no_secret')}
          {typeof source.config?.url === 'string' ? ` · ${source.config.url}` : ''}
        </span>
      </div>
      <button type="button" className="btn btn--ghost btn--sm" aria-label={tc('admin.edit', { name: source.name })} onClick={onEdit}>
        {t('common.edit')}
      </button>
      <button type="button" className="btn btn--ghost btn--sm danger" aria-label={tc('admin.delete', { name: source.name })} onClick={() => void remove()}>
        ×
      </button>
    </div>
  )
}

function SourceForm({ source, onDone }: { source?: Source; onDone: () => void }) {
  const tc = useConnectorText()
  const { t } = useI18n()
  const ids = useId()
  const config = (source?.config ?? {}) as Record<string, unknown>
  const [name, setName] = useState(source?.name ?? '')
  const [kind, setKind] = useState<SourceKind>(source?.kind ?? 'sql')
  const [url, setUrl] = useState(typeof config.url === 'string' ? config.url : '')
  const [path, setPath] = useState(typeof config.path === 'string' ? config.path : '')
  const [email, setEmail] = useState(typeof config.email === 'string' ? config.email : '')
  const [secret, setSecret] = useState('')
  const [clearSecret, setClearSecret] = useState(false)
  const [query, setQuery] = useState('')
  const [result, setResult] = useState<string | null>(null)
  const saving = useSaveSource()
  const testing = useTestSource()
  const busy = saving.isPending || testing.isPending

  const configOf = (): Record<string, unknown> => {
    if (kind === 'webhook') return {}
    const out: Record<string, unknown> = {}
    if (url) out.url = url
    if (kind === 'http_json' && path) out.path = path
    if (kind === 'jira' && email) out.email = email
    return out
  }
  const save = (then?: () => void) =>
    saving.mutate(
      source
        ? { id: source.id, body: { name, config: configOf(), secret: clearSecret ? '' : secret || null } }
        : { id: null, body: { name, kind, config: configOf(), secret: secret || null } },
      {
        onSuccess: () => {
          setSecret('')
          toast({ text: tc('admin.saved'), tone: 'success' })
          then?.()
        },
        onError: (err) => toastError(err, tc('failed')),
      },
    )
  const test = () => {
    if (!source) return
    testing.mutate(
      { id: source.id, query: query || null },
      {
        onSuccess: (out) => setResult(out.ok ? tc('test.value', { value: String(out.value) }) : (out.error ?? tc('failed'))),
        onError: (err) => toastError(err, tc('failed')),
      },
    )
  }

  return (
    <form
      className="form source-form"
      data-testid={source ? `source-form-${source.id}` : 'source-form-new'}
      onSubmit={(e) => {
        e.preventDefault()
        save(onDone)
      }}
    >
      <div className="formrow">
        <label htmlFor={`${ids}-n`}>{tc('admin.name')}</label>
        <input id={`${ids}-n`} className="input" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="formrow">
        <label htmlFor={`${ids}-k`}>{tc('admin.kind')}</label>
        <select id={`${ids}-k`} className="select" value={kind} disabled={!!source} onChange={(e) => setKind(e.target.value as SourceKind)}>
          {SOURCE_KINDS.map((k) => (
            <option key={k} value={k}>
              {tc(`kind.${k}`)}
            </option>
          ))}
        </select>
      </div>
      {kind !== 'webhook' && (
        <div className="formrow">
          <label htmlFor={`${ids}-u`}>{tc('admin.url')}</label>
          <input id={`${ids}-u`} className="input" value={url} placeholder={kind === 'sql' ? tc('admin.url.sql') : 'https://'} required={kind !== 'github'} onChange={(e) => setUrl(e.target.value)} />
        </div>
      )}
      {kind === 'http_json' && (
        <div className="formrow">
          <label htmlFor={`${ids}-p`}>{tc('admin.path')}</label>
          <input id={`${ids}-p`} className="input" value={path} onChange={(e) => setPath(e.target.value)} />
        </div>
      )}
      {kind === 'jira' && (
        <div className="formrow">
          <label htmlFor={`${ids}-m`}>{tc('admin.email')}</label>
          <input id={`${ids}-m`} className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
      )}
      {kind !== 'webhook' && (
        <div className="formrow">
          <label htmlFor={`${ids}-x`}>{tc('admin.secret')}</label>
          {/* Write-only: never filled from the server, never shown back. */}
          <input id={`${ids}-x`} className="input" type="password" autoComplete="new-password" value={secret} placeholder={source?.has_secret ? tc('admin.secret.kept') : ''} onChange={(e) => setSecret(e.target.value)} data-testid="source-secret" />
          {source?.has_secret && (
            <label className="check">
              <input type="checkbox" checked={clearSecret} onChange={(e) => setClearSecret(e.target.checked)} />
              <span>{tc('admin.secret.clear')}</span>
            </label>
          )}
        </div>
      )}
      {source && kind !== 'webhook' && (
        <div className="formrow">
          <label htmlFor={`${ids}-q`}>{tc('admin.test_query')}</label>
          <div className="row">
            <input id={`${ids}-q`} className="input" value={query} placeholder={tc(`query.${kind}`)} onChange={(e) => setQuery(e.target.value)} />
            <button type="button" className="btn btn--ghost btn--sm" disabled={busy} onClick={() => void test()}>
              {tc('test')}
            </button>
          </div>
          {result && <output data-testid="source-test-result">{result}</output>}
        </div>
      )}
      <div className="row">
        <button type="submit" className="btn btn--primary" data-testid="source-save" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" className="btn btn--ghost" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
