import { useEffect, useId, useMemo, useState } from 'react'
import type { OrgPatch } from '../../api/bodies'
import { ApiError } from '../../api/client'
import { useOrg, useReminderCalendar } from '../../api/queries'
import { REMINDER_KINDS, type Org, type ReminderKind, type ReminderOverride } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { EmptyState, ErrorState, Loading } from '../../components/ui'
import { kindLabel, useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'
import { ConflictNotice } from '../conflict/ConflictNotice'
import { changedFields, conflicting, withSeen } from '../conflict/seen'
import { timeZones } from '../account/Settings'
import { useRunReminder, useSaveOrg } from './mutations'

const WEEKLY: ReminderKind[] = ['weekly_check_in', 'team_digest']
const DEFAULT_TIME: Record<ReminderKind, string> = {
  drafting_open: '10:00',
  approval_due: '10:00',
  approval_requested: '',
  approval_decided: '',
  weekly_check_in: '10:00',
  review_mid_quarter: '10:00',
  retro_open: '10:00',
  feedback_received: '',
  mentioned: '',
  team_digest: '16:00',
}
const EVENT_KINDS = new Set<ReminderKind>(['approval_requested', 'approval_decided', 'feedback_received', 'mentioned'])

export default function AdminSettings() {
  const { t } = useI18n()
  const { isAdmin } = useApp()
  usePageTitle(t('nav.org_settings'))
  const q = useOrg()
  if (!isAdmin) return <EmptyState title={t('error.forbidden')} body={t('admin.only')} />
  return (
    <div className="page">
      <header className="page__head">
        <div>
          <h1>{t('nav.org_settings')}</h1>
          <p className="muted">{t('org.sub')}</p>
        </div>
      </header>
      {q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && <OrgForm org={q.data} />}
    </div>
  )
}

function OrgForm({ org }: { org: Org }) {
  const { t, locale, fmt } = useI18n()
  const ids = useId()
  const [name, setName] = useState(org.name)
  const [tz, setTz] = useState(org.timezone)
  const [month, setMonth] = useState(org.fiscal_year_start_month)
  const [holidays, setHolidays] = useState<string[]>(org.holidays ?? [])
  const [newHoliday, setNewHoliday] = useState('')
  const [reminders, setReminders] = useState<Partial<Record<ReminderKind, ReminderOverride>>>(org.reminders ?? {})
  const [cap, setCap] = useState(org.max_nudges_per_week ?? 3)
  // The org as this form last loaded it: what its changes are measured from and sent as `base`.
  const [loaded, setLoaded] = useState<Org>(org)
  const [clash, setClash] = useState<{ current: Org; mine: Partial<Org> } | null>(null)
  const saveOrg = useSaveOrg((saved) => {
    setLoaded(saved)
    setClash(null)
  })
  const busy = saveOrg.isPending
  const form = (): Partial<Org> => ({ name, timezone: tz, fiscal_year_start_month: month, holidays: [...holidays].sort(), reminders, max_nudges_per_week: cap })
  useEffect(() => {
    // Someone else saved: take their values into the fields this person has not touched; the
    // fields they did change keep their text (and are checked against the new values on save).
    setLoaded((was) => {
      if (was.version === org.version) return was
      if (name === was.name) setName(org.name)
      if (tz === was.timezone) setTz(org.timezone)
      if (month === was.fiscal_year_start_month) setMonth(org.fiscal_year_start_month)
      if (JSON.stringify([...holidays].sort()) === JSON.stringify(was.holidays ?? [])) setHolidays(org.holidays ?? [])
      if (JSON.stringify(reminders) === JSON.stringify(was.reminders ?? {})) setReminders(org.reminders ?? {})
      if (cap === (was.max_nudges_per_week ?? 3)) setCap(org.max_nudges_per_week ?? 3)
      return org
    })
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [org])
  const zones = useMemo(timeZones, [])
  const calendar = useReminderCalendar()
  const scheduled = useMemo(() => {
    return new Map((calendar.data?.kinds ?? []).map((r) => [r.kind as string, r]))
  }, [calendar.data])
  const runReminder = useRunReminder()
  const running = runReminder.isPending ? runReminder.variables : null
  const runNow = (kind: string) =>
    runReminder.mutate(kind, {
      onSuccess: () => toast({ text: t('org.ran', { kind: kindLabel(t, kind) }), tone: 'success' }),
      onError: (err) => toastError(err, t('admin.failed')),
    })
  const monthName = (m: number) => new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { month: 'long' }).format(new Date(2024, m - 1, 1))
  const weekday = (d: number) => new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { weekday: 'long' }).format(new Date(2024, 0, 1 + d)) // 2024-01-01 is a Monday

  const takeTheirs = (current: Org) => {
    setName(current.name)
    setTz(current.timezone)
    setMonth(current.fiscal_year_start_month)
    setHolidays(current.holidays ?? [])
    setReminders(current.reminders ?? {})
    setLoaded(current)
    setClash(null)
  }
  const save = (from: Org = loaded) => {
    const mine = changedFields(from as unknown as Record<string, unknown>, form() as Record<string, unknown>) as Partial<Org>
    saveOrg.mutate(withSeen(from as unknown as Record<string, unknown>, mine) as OrgPatch, {
      onSuccess: () => toast({ text: t('settings.saved'), tone: 'success' }),
      onError: (err) => {
        const current = err instanceof ApiError && err.status === 409 ? (err.problem as { current?: Org }).current : undefined
        if (current && current.version !== undefined && current.version !== from.version) setClash({ current, mine })
        else toastError(err, t('settings.failed'))
      },
    })
  }
  const setOverride = (k: ReminderKind, change: Partial<ReminderOverride>) =>
    setReminders((r) => ({ ...r, [k]: { enabled: r[k]?.enabled ?? true, weekday: r[k]?.weekday ?? null, time: r[k]?.time ?? null, ...change } }))

  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <section className="card form" aria-labelledby="h-org">
        <h2 id="h-org" className="card__title">
          {t('org.org')}
        </h2>
        <div className="formrow">
          <label htmlFor={`${ids}-n`}>{t('org.name')}</label>
          <input id={`${ids}-n`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="formrow">
          <label htmlFor={`${ids}-tz`}>{t('org.timezone')}</label>
          <select id={`${ids}-tz`} className="select" value={tz} onChange={(e) => setTz(e.target.value)}>
            {!zones.includes(tz) && <option value={tz}>{tz}</option>}
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </div>
        <div className="formrow">
          <label htmlFor={`${ids}-m`}>{t('org.fiscal_month')}</label>
          <select id={`${ids}-m`} className="select" value={month} onChange={(e) => setMonth(Number(e.target.value))}>
            {Array.from({ length: 12 }, (_, i) => i + 1).map((m) => (
              <option key={m} value={m}>
                {monthName(m)}
              </option>
            ))}
          </select>
          <p className="muted small">{t('org.fiscal_hint')}</p>
        </div>
      </section>

      <section className="card form" aria-labelledby="h-cal">
        <h2 id="h-cal" className="card__title">
          {t('org.calendar')}
        </h2>
        <p className="muted small">{t('org.calendar_hint')}</p>
        <div className="formrow">
          <label htmlFor={`${ids}-cap`}>{t('org.max_nudges')}</label>
          <input
            id={`${ids}-cap`}
            className="input input--narrow"
            type="number"
            min={0}
            max={50}
            step={1}
            value={cap}
            data-testid="org-max-nudges"
            onChange={(e) => setCap(Math.max(0, Math.min(50, Math.round(Number(e.target.value) || 0))))}
          />
          <p className="muted small">{t('org.max_nudges_hint')}</p>
        </div>
        {calendar.isError && <p className="muted small">{t('org.calendar_unavailable')}</p>}
        <ul className="reminders">
          {REMINDER_KINDS.map((k) => {
            const o = reminders[k]
            const enabled = o?.enabled ?? true
            const sched = scheduled.get(k)
            const next = sched?.next_run_at
            return (
              <li key={k} className="reminder-row">
                <div className="reminder-row__what">
                  <label className="check">
                    <input type="checkbox" checked={enabled} onChange={(e) => setOverride(k, { enabled: e.target.checked })} />
                    <span>{kindLabel(t, k)}</span>
                  </label>
                  {sched && (
                    <span className="muted small">
                      {next ? t('org.next_run', { when: fmt.dateTimeIn(next, org.timezone) }) : t('org.no_next_run')}
                      <button type="button" className="btn btn--link small" disabled={running === k} onClick={() => void runNow(k)}>
                        {t('org.run_now')}
                      </button>
                    </span>
                  )}
                </div>
                {EVENT_KINDS.has(k) ? (
                  <span className="muted small">{t('org.on_event')}</span>
                ) : (
                  <span className="reminder-row__when">
                    {WEEKLY.includes(k) && (
                      <label className="inline-field">
                        <span className="sr-only">{t('org.weekday_of', { kind: kindLabel(t, k) })}</span>
                        <select className="select select--sm" value={o?.weekday ?? sched?.weekday ?? (k === 'team_digest' ? 4 : 0)} disabled={!enabled} onChange={(e) => setOverride(k, { weekday: Number(e.target.value) })}>
                          {Array.from({ length: 7 }, (_, d) => (
                            <option key={d} value={d}>
                              {weekday(d)}
                            </option>
                          ))}
                        </select>
                      </label>
                    )}
                    <label className="inline-field">
                      <span className="sr-only">{t('org.time_of', { kind: kindLabel(t, k) })}</span>
                      <input className="input input--time" type="time" value={o?.time ?? sched?.local_time ?? DEFAULT_TIME[k]} disabled={!enabled} onChange={(e) => setOverride(k, { time: e.target.value })} />
                    </label>
                  </span>
                )}
              </li>
            )
          })}
        </ul>
      </section>

      <section className="card form" aria-labelledby="h-hol">
        <h2 id="h-hol" className="card__title">
          {t('org.holidays')}
        </h2>
        <p className="muted small">{t('org.holidays_hint')}</p>
        {holidays.length === 0 && <p className="muted">{t('org.no_holidays')}</p>}
        <ul className="chips">
          {[...holidays].sort().map((d) => (
            <li key={d} className="chip chip--removable">
              {d}
              <button type="button" className="chip__x" aria-label={t('org.remove_holiday', { date: d })} onClick={() => setHolidays((h) => h.filter((x) => x !== d))}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <div className="addform">
          <label htmlFor={`${ids}-h`} className="sr-only">
            {t('org.add_holiday')}
          </label>
          <input id={`${ids}-h`} className="input" type="date" value={newHoliday} onChange={(e) => setNewHoliday(e.target.value)} />
          <button
            type="button"
            className="btn"
            disabled={!newHoliday}
            onClick={() => {
              if (!holidays.includes(newHoliday)) setHolidays((h) => [...h, newHoliday])
              setNewHoliday('')
            }}
          >
            {t('org.add_holiday')}
          </button>
        </div>
      </section>
      {clash && (
        <ConflictNotice
          fields={conflicting(clash.current as unknown as Record<string, unknown>, clash.mine as Record<string, unknown>)}
          labels={{ name: t('org.name'), timezone: t('org.timezone'), fiscal_year_start_month: t('org.fiscal_month'), holidays: t('org.holidays') }}
          onTakeTheirs={() => takeTheirs(clash.current)}
          onKeepMine={() => void save(clash.current)}
        />
      )}
      <div className="sticky-save">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {t('common.save')}
        </button>
      </div>
    </form>
  )
}
