import { Link } from 'react-router'
import { useI18n } from '../../i18n'
import { LanguageToggle } from '../account/LanguageToggle'
import { PersonMenu } from '../account/PersonMenu'
import { Bell } from '../notifications/Bell'
import { SearchBox } from '../search/SearchBox'
import { CycleSwitcher } from './CycleSwitcher'
import { SaveStateIndicator } from './SaveStateIndicator'

/** The bar across the top of every page: home, quarter, search, save state, language, bell, account. */
export function TopBar() {
  const { t } = useI18n()
  return (
    <header className="topbar">
      <Link to="/" className="brand" title={t('top.home')}>
        <span className="brand__mark" aria-hidden="true">
          B
        </span>
        <span className="brand__name">Boost</span>
      </Link>
      <CycleSwitcher />
      <SearchBox />
      <div className="topbar__end">
        <SaveStateIndicator />
        <LanguageToggle />
        <Bell />
        <PersonMenu />
      </div>
    </header>
  )
}
