import { useI18n, type MessageKey } from '../../i18n'
import { useSaveState } from '../../live/hooks'
import { editStore } from '../../live/instance'

const SAVE_KEY: Record<string, MessageKey> = {
  saved: 'save.saved',
  saving: 'save.saving',
  offline: 'save.offline',
  error: 'save.error',
}

export function SaveStateIndicator() {
  const { t } = useI18n()
  const state = useSaveState()
  return (
    <div className={`save-state save-state--${state}`} data-testid="save-state" data-state={state} role="status" aria-live="polite">
      <span className="save-state__dot" aria-hidden="true" />
      <span className="save-state__text">{t(SAVE_KEY[state])}</span>
      {state === 'error' && (
        <button type="button" className="btn btn--link small" onClick={() => editStore.retry()}>
          {t('common.retry')}
        </button>
      )}
    </div>
  )
}
