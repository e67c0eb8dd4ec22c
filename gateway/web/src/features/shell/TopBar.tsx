import { keys } from '../../api/queries'
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useNavigate } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api } from '../../api/client'
import { useCycles, useDeliveries, useSearch } from '../../api/queries'
import type { CycleDates, Delivery, Locale } from '../../api/types'
import { kindLabel, skipReasonLabel, useI18n, type MessageKey } from '../../i18n'
import { daysLeft, phaseOn, todayIn, type Phase } from '../../lib/cycle'
import { useMediaQuery } from '../../lib/media'
import { editStore } from '../../live/instance'
import { useSaveState } from '../../live/hooks'
import { useApp } from '../../state/app'
import { Icon } from '../../components/icons'
import { Avatar } from '../../components/ui'
import { renderSlackText, type SlackBlock } from '../../components/slackText'

export const PHASE_KEY: Record<Phase, MessageKey> = {
  drafting: 'phase.drafting',
  approval_due: 'phase.approval_due',
  in_progress: 'phase.in_progress',
  review: 'phase.review',
  retro: 'phase.retro',
  upcoming: 'phase.upcoming',
  ended: 'phase.ended',
}

export function PhaseBadge({ cycle, timezone }: { cycle: CycleDates; timezone?: string | null }) {
  const { t } = useI18n()
  const today = todayIn(timezone)
  const phase = phaseOn(cycle, today)
  const left = daysLeft(cycle, today, phase)
  return (
    <span className={`phase phase--${phase}`}>
      {t(PHASE_KEY[phase])}
      {left !== null && left >= 0 && <> · {t(phase === 'upcoming' ? 'phase.starts_in' : 'phase.days_left', { n: left })}</>}
    </span>
  )
}

/** Replace the cycle in a path that carries one (/cycles/2027-Q1/...). */
function withCycle(pathname: string, search: string, id: string): string | null {
  if (/^\/cycles\/[^/]+/.test(pathname)) return pathname.replace(/^\/cycles\/[^/]+/, `/cycles/${id}`) + search
  if (/^\/(teams|feedback)/.test(pathname)) {
    const p = new URLSearchParams(search)
    p.set('cycle', id)
    return `${pathname}?${p.toString()}`
  }
  return null
}

function CycleSwitcher() {
  const { t } = useI18n()
  const { cycleId, setCycleId, me, currentCycle, nextCycle } = useApp()
  const cycles = useCycles()
  const loc = useLocation()
  const navigate = useNavigate()
  const id = useId()
  const list = useMemo(() => {
    const all = new Map<string, CycleDates>()
    for (const c of cycles.data ?? []) all.set(c.id, c)
    if (currentCycle) all.set(currentCycle.id, currentCycle)
    if (nextCycle) all.set(nextCycle.id, nextCycle)
    return [...all.values()].sort((a, b) => a.start.localeCompare(b.start))
  }, [cycles.data, currentCycle, nextCycle])
  const selected = list.find((c) => c.id === cycleId)
  // On a phone the bar has room for "2027-Q1" only; the page's heading says which quarter it is.
  const narrow = useMediaQuery('(max-width: 640px)')
  return (
    <div className="cycle-switch">
      <label htmlFor={id} className="sr-only">
        {t('top.cycle')}
      </label>
      <select
        id={id}
        className="select select--cycle"
        value={cycleId}
        onChange={(e) => {
          setCycleId(e.target.value)
          const to = withCycle(loc.pathname, loc.search, e.target.value)
          if (to) navigate(to)
        }}
      >
        {!selected && cycleId && <option value={cycleId}>{cycleId}</option>}
        {list.map((c) => (
          <option key={c.id} value={c.id}>
            {c.id}
            {narrow ? '' : c.id === currentCycle?.id ? ` · ${t('top.current')}` : c.id === nextCycle?.id ? ` · ${t('top.next')}` : ''}
          </option>
        ))}
      </select>
      {selected && (
        <span className="hide-sm">
          <PhaseBadge cycle={selected} timezone={me.user.timezone} />
        </span>
      )}
    </div>
  )
}

function SearchBox() {
  const { t } = useI18n()
  const navigate = useNavigate()
  const { teams } = useApp()
  const [text, setText] = useState('')
  const [q, setQ] = useState('')
  const [open, setOpen] = useState(false)
  const [expanded, setExpanded] = useState(false)
  const [active, setActive] = useState(0)
  const listId = useId()
  const inputId = useId()
  const inputRef = useRef<HTMLInputElement>(null)
  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), 200)
    return () => clearTimeout(timer)
  }, [text])
  const res = useSearch(q)

  const items = useMemo(() => {
    const d = res.data
    if (!d) return []
    const out: { key: string; group: MessageKey; label: string; to: string }[] = []
    const inCycle = (title: string, cycle?: string) => (cycle ? `${title} · ${cycle}` : title)
    for (const o of d.objectives ?? []) out.push({ key: `o${o.id}`, group: 'search.objectives', label: inCycle(o.title, o.cycle), to: `/objectives/${o.id}` })
    for (const k of d.key_results ?? []) out.push({ key: `k${k.id}`, group: 'search.key_results', label: inCycle(k.title, (k as { cycle?: string }).cycle), to: `/objectives/${k.objective_id}?kr=${k.id}` })
    for (const u of d.users ?? []) {
      const team = teams.find((tm) => tm.members?.some((m) => m.user_id === u.id) && tm.parent_id !== null) ?? teams.find((tm) => tm.members?.some((m) => m.user_id === u.id))
      out.push({ key: `u${u.id}`, group: 'search.people', label: u.name, to: team ? `/teams/${team.id}` : '/teams' })
    }
    for (const tm of d.teams ?? []) out.push({ key: `t${tm.id}`, group: 'search.teams', label: tm.name, to: `/teams/${tm.id}` })
    return out.slice(0, 20)
  }, [res.data, teams])

  const go = (to: string) => {
    setOpen(false)
    setText('')
    setExpanded(false)
    navigate(to)
  }
  const showList = open && q.length > 0

  return (
    <div className={`search${expanded ? ' is-expanded' : ''}`} role="search">
      <button
        type="button"
        className="icon-btn search__toggle"
        aria-label={t('top.search')}
        onClick={() => {
          setExpanded(true)
          requestAnimationFrame(() => inputRef.current?.focus())
        }}
      >
        <Icon name="search" />
      </button>
      <div className="search__field">
        <label htmlFor={inputId} className="sr-only">
          {t('top.search')}
        </label>
        <input
          id={inputId}
          ref={inputRef}
          className="input search__input"
          type="search"
          placeholder={t('top.search_ph')}
          value={text}
          autoComplete="off"
          role="combobox"
          aria-expanded={showList}
          aria-controls={showList ? listId : undefined}
          aria-autocomplete="list"
          aria-activedescendant={showList && items[active] ? `${listId}-${items[active].key}` : undefined}
          onChange={(e) => {
            setText(e.target.value)
            setOpen(true)
            setActive(0)
          }}
          onFocus={() => setOpen(true)}
          onBlur={() =>
            setTimeout(() => {
              setOpen(false)
              if (!text) setExpanded(false)
            }, 150)
          }
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault()
              setActive((a) => Math.min(a + 1, items.length - 1))
            } else if (e.key === 'ArrowUp') {
              e.preventDefault()
              setActive((a) => Math.max(a - 1, 0))
            } else if (e.key === 'Enter' && items[active]) {
              e.preventDefault()
              go(items[active].to)
            } else if (e.key === 'Escape') {
              setOpen(false)
              setExpanded(false)
            }
          }}
        />
        {showList && (
          <ul className="search__results" role="listbox" id={listId} aria-label={t('top.search_results')}>
            {res.isLoading && <li className="muted search__note">{t('common.loading')}</li>}
            {!res.isLoading && items.length === 0 && <li className="muted search__note">{t('search.none', { q })}</li>}
            {items.map((it, i) => (
              <li
                key={it.key}
                id={`${listId}-${it.key}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'is-active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault()
                  go(it.to)
                }}
              >
                <span className="search__group">{t(it.group)}</span>
                <span className="search__label">{it.label}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}

function LanguageToggle() {
  const { locale, setLocale, t } = useI18n()
  const { me } = useApp()
  const qc = useQueryClient()
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
        api.patch(`/api/okr/users/${me.user.id}`, { locale: other }).then(
          () => void qc.invalidateQueries({ queryKey: keys.me }),
          () => undefined,
        )
      }}
    >
      <Icon name="globe" size={18} />
      <span className="hide-sm">{other === 'ko' ? '한국어' : 'English'}</span>
      <span className="show-sm">{other === 'ko' ? '한' : 'EN'}</span>
    </button>
  )
}

const SEEN_KEY = 'boost.bell.seen'

function Bell() {
  const { t, fmt } = useI18n()
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const app = useApp()
  const q = useDeliveries({ user_id: 'me' }, { refetchInterval: 60_000 })
  // Admins also see whom Boost did not nudge, and why (§9): everyone's skipped reminders.
  const skipped = useDeliveries({ status: 'skipped', limit: 10 }, { refetchInterval: 60_000, enabled: app.isAdmin && open })
  const [seen, setSeen] = useState<number>(() => Number(localStorage.getItem(SEEN_KEY) ?? 0))
  const list = [...(q.data ?? [])].sort((a, b) => b.id - a.id)
  // A skipped reminder is not a message: it never counts as unread.
  const unread = list.filter((d) => d.id > seen && d.status !== 'skipped').length
  const popId = useId()
  useEffect(() => {
    if (!open) return
    const top = list[0]?.id ?? 0
    if (top > seen) {
      setSeen(top)
      localStorage.setItem(SEEN_KEY, String(top))
    }
    const onDoc = (e: Event) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false)
    }
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false)
    document.addEventListener('pointerdown', onDoc)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onDoc)
      document.removeEventListener('keydown', onKey)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open])
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="icon-btn bell"
        aria-label={unread ? t('top.notifications_unread', { n: unread }) : t('top.notifications')}
        aria-expanded={open}
        aria-controls={open ? popId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <Icon name="bell" />
        {unread > 0 && <span className="bell__count" aria-hidden="true">{unread > 9 ? '9+' : unread}</span>}
      </button>
      {open && (
        <div className="menu__pop bell__pop" id={popId}>
          <h2 className="menu__title">{t('top.notifications')}</h2>
          {q.isLoading && <p className="muted">{t('common.loading')}</p>}
          {q.data && list.length === 0 && <p className="muted">{t('bell.empty')}</p>}
          <ul className="bell__list">
            {list.slice(0, 20).map((d) => {
              const link = deliveryLink(d.blocks)
              return (
                <li key={d.id} className="bell__item" data-status={d.status}>
                  <span className="bell__kind">{kindLabel(t, d.kind)}</span>
                  {d.status === 'skipped' && d.reason && (
                    <span className="chip chip--reason" data-reason={d.reason}>
                      {t('delivery.skipped')} · {skipReasonLabel(t, d.reason)}
                    </span>
                  )}
                  <p className="bell__text">{renderSlackText(d.text, 200)}</p>
                  <span className="muted small">{fmt.relative(d.created_at)}</span>
                  {link && (
                    <Link to={link} className="btn btn--link small" onClick={() => setOpen(false)}>
                      {t('bell.open')}
                    </Link>
                  )}
                </li>
              )
            })}
          </ul>
          {app.isAdmin && skipped.data && skipped.data.length > 0 && (
            <section className="bell__skipped" data-testid="bell-skipped" aria-label={t('bell.skipped')}>
              <h3 className="menu__title">{t('bell.skipped')}</h3>
              <p className="muted small">{t('bell.skipped_hint')}</p>
              <ul className="bell__list">
                {skipped.data.map((d) => (
                  <li key={d.id} className="bell__item" data-reason={d.reason ?? ''}>
                    <span className="bell__kind">
                      {kindLabel(t, d.kind)} · {(d.user_id && app.users.get(d.user_id)?.name) || '—'}
                    </span>
                    <span className="chip chip--reason">{skipReasonLabel(t, d.reason ?? '')}</span>
                    <span className="muted small">{fmt.relative(d.created_at)}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
      )}
    </div>
  )
}

/** The first deep link into Boost found in a Slack message's buttons. */
export function deliveryLink(blocks: Delivery['blocks']): string | null {
  for (const b of blocks as unknown as SlackBlock[]) {
    const urls = [...(b.elements ?? []).map((e) => e.url), b.accessory?.url]
    for (const u of urls) {
      if (!u) continue
      try {
        const url = new URL(u, window.location.origin)
        if (url.pathname.startsWith('/api/')) continue
        return url.pathname + url.search + url.hash
      } catch {
        /* not a URL */
      }
    }
  }
  return null
}

function PersonMenu() {
  const { t } = useI18n()
  const { me, isAdmin } = useApp()
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const navigate = useNavigate()
  const qc = useQueryClient()
  const popId = useId()
  useEffect(() => {
    if (!open) return
    const onDoc = (e: Event) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false)
    }
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false)
    document.addEventListener('pointerdown', onDoc)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onDoc)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])
  const signOut = async () => {
    if (editStore.hasPending() && !window.confirm(t('top.signout_pending'))) return
    try {
      await api.post('/api/auth/logout')
    } catch {
      /* signed out either way */
    }
    qc.clear()
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
