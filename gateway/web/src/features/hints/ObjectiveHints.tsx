import type { Objective } from '../../api/types'
import { useI18n } from '../../i18n'
import { HINT_KEY, useHints } from './hints'

/** Drafting hints beside an objective (`objective-hints-{id}`, one child per hint with its
 * `data-code`): suggestions that update as people type and never block anything. */
export function ObjectiveHints({ obj }: { obj: Objective }) {
  const { t } = useI18n()
  const q = useHints(obj)
  const hints = q.data ?? []
  const krTitle = (id: number | null | undefined) => obj.key_results.find((k) => k.id === id)?.title
  return (
    <aside className={`hints${hints.length ? '' : ' hints--empty'}`} aria-label={t('hints.title')} aria-live="polite">
      {hints.length > 0 && <h4 className="hints__title">{t('hints.title')}</h4>}
      <ul className="hints__list" data-testid={`objective-hints-${obj.id}`}>
        {hints.map((h) => {
          const title = krTitle(h.key_result_id)
          return (
            <li key={`${h.code}-${h.key_result_id ?? 0}`} className="hints__item" data-code={h.code} data-kr={h.key_result_id ?? undefined}>
              {title && <strong className="hints__kr">{title}: </strong>}
              {t(HINT_KEY[h.code]) || h.message}
            </li>
          )
        })}
      </ul>
    </aside>
  )
}
