import type { Locale } from '../../api/types'
import { Icon } from '../../components/icons'
import { useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { useUpdateUser } from './mutations'

export function LanguageToggle() {
  const { locale, setLocale, t } = useI18n()
  const { me } = useApp()
  const updateUser = useUpdateUser()
  const other: Locale = locale === 'ko' ? 'en' : 'ko'
  return (
    <button
      type="button"
      className="btn btn--ghost lang-toggle"
      lang={other}
      aria-label={`${other === 'ko' ? '한국어' : 'English'} · ${t('top.language_switch')}`}
      onClick={() => {
        setLocale(other)
        // Slack messages follow the profile's language too; a failure here changes nothing on screen.
        updateUser.mutate({ id: me.user.id, body: { locale: other } })
      }}
    >
      <Icon name="globe" size={18} />
      <span className="hide-sm">{other === 'ko' ? '한국어' : 'English'}</span>
      <span className="show-sm">{other === 'ko' ? '한' : 'EN'}</span>
    </button>
  )
}
