import { Link } from 'react-router'
import { EmptyState } from '../../components/ui'
import { useI18n } from '../../i18n'
import { usePageTitle } from '../../lib/pageTitle'

export default function NotFound() {
  const { t } = useI18n()
  usePageTitle(t('notfound.title'))
  return (
    <div className="page">
      <EmptyState
        title={t('notfound.title')}
        body={t('notfound.body')}
        action={
          <Link className="btn btn--primary" to="/">
            {t('nav.dashboard')}
          </Link>
        }
      />
    </div>
  )
}
