import type { Problem } from '../api/types'
import { useI18n } from '../i18n'

/** A CSV import's refusals, one line per row and field (the people and the check-ins imports). */
export function ImportErrors({ errors }: { errors: Problem['errors'] }) {
  const { t } = useI18n()
  if (!errors || errors.length === 0) return null
  return (
    <ul className="errors" role="alert">
      {errors.map((e, i) => (
        <li key={i}>
          {e.row != null ? t('admin.row', { n: e.row }) + ': ' : ''}
          {e.field ? `${e.field}: ` : ''}
          {e.msg}
        </li>
      ))}
    </ul>
  )
}
