import { useState, type MouseEvent } from 'react'
import { toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'

/** "Export CSV": every objective and key result of the quarter with progress, health and
 * score (`GET /api/okr/export.csv`). Fetched by the page, so a failure (signed out, offline)
 * is a sentence in a toast, never a JSON document opened in the browser. */
export function ExportButton({ cycle }: { cycle: string }) {
  const { t } = useI18n()
  const [busy, setBusy] = useState(false)
  const href = `/api/okr/export.csv?cycle=${encodeURIComponent(cycle)}`
  const name = `boost-${cycle}.csv`
  const download = async (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault()
    if (busy) return
    setBusy(true)
    try {
      let res: Response
      try {
        res = await fetch(href, { credentials: 'same-origin' })
      } catch {
        throw Object.assign(new Error(''), { status: 0 })
      }
      if (!res.ok) throw Object.assign(new Error(''), { status: res.status })
      const url = URL.createObjectURL(await res.blob())
      const a = document.createElement('a')
      a.href = url
      a.download = name
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (err) {
      toastError(err, t('export.failed'))
    } finally {
      setBusy(false)
    }
  }
  return (
    <a className="btn btn--ghost" data-testid="export-csv" href={href} download={name} onClick={(e) => void download(e)} aria-busy={busy || undefined}>
      {t('export.csv')}
    </a>
  )
}
