import { useI18n } from '../../i18n'

/** "Export CSV": every objective and key result of the quarter with progress, health and
 * score (`GET /api/okr/export.csv`), downloaded by the browser with the session cookie. */
export function ExportButton({ cycle }: { cycle: string }) {
  const { t } = useI18n()
  return (
    <a className="btn btn--ghost" data-testid="export-csv" href={`/api/okr/export.csv?cycle=${encodeURIComponent(cycle)}`} download={`boost-${cycle}.csv`}>
      {t('export.csv')}
    </a>
  )
}
