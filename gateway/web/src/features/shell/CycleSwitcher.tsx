import { useId, useMemo } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { useCycles } from '../../api/queries'
import type { CycleDates } from '../../api/types'
import { useI18n } from '../../i18n'
import { useMediaQuery } from '../../lib/media'
import { useApp } from '../../state/app'
import { PhaseBadge } from './PhaseBadge'

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

export function CycleSwitcher() {
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
