import { Suspense, useEffect } from 'react'
import { NavLink, Outlet, useLocation } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { useI18n, useProfileLocale, type MessageKey } from '../../i18n'
import { applyEvent } from '../../live/events'
import { editStore, live } from '../../live/instance'
import { setPresence } from '../../live/presence'
import { useApp } from '../../state/app'
import { Icon, type IconName } from '../../components/icons'
import { Toaster } from '../../components/Toasts'
import { TopBar } from './TopBar'
import { Loading } from '../../components/ui'

interface NavItem {
  to: string
  label: MessageKey
  short: MessageKey
  icon: IconName
  admin?: boolean
  end?: boolean
  match?: (path: string) => boolean
}

function useNavItems(): NavItem[] {
  const { currentCycle, nextCycle, homeTeamId, isAdmin } = useApp()
  const items: NavItem[] = [
    { to: '/', label: 'nav.dashboard', short: 'nav.dashboard_short', icon: 'dashboard', end: true },
    {
      to: nextCycle && homeTeamId ? `/cycles/${nextCycle.id}/teams/${homeTeamId}/draft` : '/teams',
      label: 'nav.drafting',
      short: 'nav.drafting_short',
      icon: 'draft',
      match: (p) => /\/draft$/.test(p),
    },
    {
      to: currentCycle ? `/cycles/${currentCycle.id}` : '/',
      label: 'nav.quarter',
      short: 'nav.quarter_short',
      icon: 'quarter',
      match: (p) => /^\/cycles\/[^/]+\/?$/.test(p),
    },
    { to: '/feedback', label: 'nav.feedback', short: 'nav.feedback_short', icon: 'feedback' },
    { to: '/teams', label: 'nav.teams', short: 'nav.teams_short', icon: 'teams', match: (p) => p.startsWith('/teams') },
    { to: '/slack', label: 'nav.slack', short: 'nav.slack', icon: 'slack', admin: true },
    { to: '/admin/people', label: 'nav.people', short: 'nav.people', icon: 'people', admin: true },
    { to: '/admin/settings', label: 'nav.org_settings', short: 'nav.org_settings', icon: 'settings', admin: true },
    { to: '/admin/sources', label: 'nav.data_sources', short: 'nav.data_sources', icon: 'quarter', admin: true },
  ]
  return items.filter((i) => !i.admin || isAdmin)
}

function Nav() {
  const { t } = useI18n()
  const items = useNavItems()
  const loc = useLocation()
  const cls = (item: NavItem) => ({ isActive }: { isActive: boolean }) =>
    `nav__link${(item.match ? item.match(loc.pathname) : isActive) ? ' is-active' : ''}`
  const current = (item: NavItem) => (item.match ? (item.match(loc.pathname) ? 'page' : undefined) : undefined)
  return (
    <>
      <nav className="rail" aria-label={t('nav.main')}>
        <ul>
          {items.map((item, i) => (
            <li key={item.label} className={item.admin && !items[i - 1]?.admin ? 'rail__sep' : undefined}>
              <NavLink to={item.to} end={item.end} className={cls(item)} aria-current={current(item)}>
                <Icon name={item.icon} />
                <span>{t(item.label)}</span>
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <nav className="tabs" aria-label={t('nav.main_mobile')}>
        <ul>
          {items
            .filter((i) => !i.admin)
            .map((item) => (
              <li key={item.label}>
                <NavLink to={item.to} end={item.end} className={cls(item)} aria-current={current(item)}>
                  <Icon name={item.icon} />
                  <span>{t(item.short)}</span>
                </NavLink>
              </li>
            ))}
        </ul>
      </nav>
    </>
  )
}

/** Connects the socket once signed in and routes its events into the query cache. */
function LiveBridge() {
  const qc = useQueryClient()
  const { me } = useApp()
  const meId = me.user.id
  useEffect(() => {
    live.connect()
    const offEvent = live.onEvent((env) => applyEvent(env, { qc, edits: editStore, meId }))
    const offPresence = live.onPresence((m) => setPresence(m.room, m.users))
    const offConnect = live.onConnect((again) => {
      editStore.replay()
      if (again) void qc.invalidateQueries()
    })
    // Active queries (what the page shows) refetch at once; the rest when next shown.
    const offResync = live.onResync(() => void qc.invalidateQueries())
    const onUnload = (e: BeforeUnloadEvent) => {
      if (editStore.hasPending()) {
        e.preventDefault()
        e.returnValue = ''
      }
    }
    const onOnline = () => {
      live.reconnectNow()
      editStore.replay()
    }
    window.addEventListener('beforeunload', onUnload)
    window.addEventListener('online', onOnline)
    return () => {
      offEvent()
      offPresence()
      offConnect()
      offResync()
      window.removeEventListener('beforeunload', onUnload)
      window.removeEventListener('online', onOnline)
    }
  }, [qc, meId])
  return null
}

export function Layout() {
  const { t } = useI18n()
  const { me } = useApp()
  useProfileLocale(me.user.locale)
  const loc = useLocation()
  // Move focus to the page on navigation, for keyboard and screen-reader users.
  useEffect(() => {
    if (loc.hash) return
    document.getElementById('main')?.focus({ preventScroll: true })
    window.scrollTo(0, 0)
  }, [loc.pathname, loc.hash])
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <LiveBridge />
      <TopBar />
      <div className="app__body">
        <Nav />
        <main id="main" className="main" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
      <Toaster />
    </div>
  )
}
