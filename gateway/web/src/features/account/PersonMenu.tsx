import { useId, useRef, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { Avatar } from '../../components/ui'
import { useI18n } from '../../i18n'
import { useDismiss } from '../../lib/useDismiss'
import { editStore } from '../../live/instance'
import { useApp } from '../../state/app'
import { useSignOut } from './mutations'

export function PersonMenu() {
  const { t } = useI18n()
  const { me, isAdmin } = useApp()
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const navigate = useNavigate()
  const signOutNow = useSignOut()
  const popId = useId()
  useDismiss(open, ref, () => setOpen(false))
  const signOut = async () => {
    if (editStore.hasPending() && !window.confirm(t('top.signout_pending'))) return
    // Signed out either way: a failed request still clears this tab and goes to sign-in.
    await signOutNow.mutateAsync().catch(() => undefined)
    navigate('/signin')
  }
  return (
    <div className="menu" ref={ref}>
      <button type="button" className="icon-btn person" aria-label={t('top.account', { name: me.user.name })} aria-expanded={open} aria-controls={open ? popId : undefined} onClick={() => setOpen((o) => !o)}>
        <Avatar user={me.user} size={32} />
      </button>
      {open && (
        <div className="menu__pop" id={popId}>
          <div className="menu__who">
            <strong>{me.user.name}</strong>
            <span className="muted small">{me.user.email}</span>
          </div>
          <nav aria-label={t('top.account_menu')}>
            <ul className="menu__list">
              <li>
                <Link to="/settings" onClick={() => setOpen(false)}>
                  {t('nav.my_settings')}
                </Link>
              </li>
              {isAdmin && (
                <>
                  <li className="show-sm-block">
                    <Link to="/slack" onClick={() => setOpen(false)}>
                      {t('nav.slack')}
                    </Link>
                  </li>
                  <li className="show-sm-block">
                    <Link to="/admin/people" onClick={() => setOpen(false)}>
                      {t('nav.people')}
                    </Link>
                  </li>
                  <li className="show-sm-block">
                    <Link to="/admin/settings" onClick={() => setOpen(false)}>
                      {t('nav.org_settings')}
                    </Link>
                  </li>
                </>
              )}
              <li>
                <button type="button" className="menu__item" onClick={() => void signOut()}>
                  {t('top.sign_out')}
                </button>
              </li>
            </ul>
          </nav>
        </div>
      )}
    </div>
  )
}
