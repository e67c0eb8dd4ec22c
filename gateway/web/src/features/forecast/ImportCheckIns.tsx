import { useId, useState } from 'react'
import { ApiError } from '../../api/client'
import type { Problem } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { ImportErrors } from '../../components/ImportErrors'
import { useI18n } from '../../i18n'
import { useImportCheckIns } from '../admin/mutations'

/** Back-fill check-ins from a spreadsheet (§9, admins): all or nothing, with per-row errors,
 * so a forecast has history to stand on from day one. */
export function ImportCheckIns() {
  const { t } = useI18n()
  const [text, setText] = useState('')
  const [errors, setErrors] = useState<Problem['errors']>([])
  const importCheckIns = useImportCheckIns()
  const busy = importCheckIns.isPending
  const ids = useId()
  const run = () => {
    setErrors([])
    importCheckIns.mutate(text, {
      onSuccess: (out) => {
        toast({ text: t('admin.checkins_imported', { n: out.rows, k: out.key_results }), tone: 'success' })
        setText('')
      },
      onError: (err) => {
        if (err instanceof ApiError && err.problem.errors?.length) setErrors(err.problem.errors)
        toastError(err, t('admin.failed'))
      },
    })
  }
  return (
    <section className="card" aria-labelledby="h-import-checkins" data-testid="import-check-ins">
      <h2 id="h-import-checkins" className="card__title">
        {t('admin.checkins_import')}
      </h2>
      <p className="muted small">{t('admin.checkins_import_hint')}</p>
      <div className="formrow">
        <label htmlFor={`${ids}-f`}>{t('admin.import_file')}</label>
        <input id={`${ids}-f`} type="file" accept=".csv,text/csv" className="input" onChange={async (e) => setText((await e.target.files?.[0]?.text()) ?? '')} />
      </div>
      <div className="formrow">
        <label htmlFor={`${ids}-t`}>{t('admin.checkins_import_text')}</label>
        <textarea id={`${ids}-t`} className="input mono" rows={5} value={text} onChange={(e) => setText(e.target.value)} placeholder="key_result_id,created_at,value,confidence,note&#10;42,2027-01-05,120,7,from the sheet" />
      </div>
      <ImportErrors errors={errors} />
      <button type="button" className="btn btn--primary" disabled={!text.trim() || busy} onClick={() => void run()}>
        {t('admin.checkins_import_run')}
      </button>
    </section>
  )
}
