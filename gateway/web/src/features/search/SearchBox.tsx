import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { useNavigate } from 'react-router'
import { useSearch } from '../../api/queries'
import { Icon } from '../../components/icons'
import { useI18n, type MessageKey } from '../../i18n'
import { useApp } from '../../state/app'

/** The top bar's search: objectives, key results, people and teams as you type. */
export function SearchBox() {
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
