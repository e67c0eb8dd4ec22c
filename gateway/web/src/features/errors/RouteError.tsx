import { useRouteError } from 'react-router'
import { useI18n } from '../../i18n'

/** What a page that could not even load says (its code could not be fetched: offline, or a
 * new version replaced it; or it broke): a sentence in the person's language and a way on,
 * never the router's developer page or a stack trace. */
export function RouteError() {
  const { t } = useI18n()
  const error = useRouteError()
  const message = error instanceof Error ? error.message : ''
  const offline = (typeof navigator !== 'undefined' && navigator.onLine === false) || /fetch|import|load/i.test(message)
  return (
    <div className="page">
      <div className="error-state" role="alert" data-testid="route-error">
        <p className="empty__title">{offline ? t('error.offline') : t('error.generic')}</p>
        <button type="button" className="btn" onClick={() => window.location.reload()}>
          {t('common.retry')}
        </button>
      </div>
    </div>
  )
}
