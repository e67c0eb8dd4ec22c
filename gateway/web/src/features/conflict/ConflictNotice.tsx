import { useI18n } from '../../i18n'

const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '—' : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** Both versions of each field two people changed at once, and the choice of which to keep. */
export function ConflictNotice({ fields, labels, onKeepMine, onTakeTheirs }: {
  fields: { field: string; theirs: unknown; mine: unknown }[]
  labels: Record<string, string>
  onKeepMine: () => void
  onTakeTheirs: () => void
}) {
  const { t } = useI18n()
  return (
    <div className="card conflict" role="alert" data-testid="conflict">
      <p>{t('conflict.title')}</p>
      <dl className="small">
        {fields.map((f) => (
          <div key={f.field}>
            <dt className="label">{labels[f.field] ?? f.field}</dt>
            <dd>
              {t('conflict.theirs')}: <strong data-testid={`conflict-theirs-${f.field}`}>{show(f.theirs)}</strong> · {t('conflict.mine')}:{' '}
              <strong data-testid={`conflict-mine-${f.field}`}>{show(f.mine)}</strong>
            </dd>
          </div>
        ))}
      </dl>
      <div className="page__actions">
        <button type="button" className="btn" onClick={onTakeTheirs}>
          {t('conflict.take_theirs')}
        </button>
        <button type="button" className="btn btn--primary" onClick={onKeepMine}>
          {t('conflict.keep_mine')}
        </button>
      </div>
    </div>
  )
}
