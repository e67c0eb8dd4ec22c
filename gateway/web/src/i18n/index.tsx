import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { Locale } from '../api/types'
import { serverNow } from '../lib/clock'
import { josa, particle } from '../lib/grammar'
import { en, type MessageKey } from './en'
import { ko } from './ko'

export type { MessageKey }
export type Vars = Record<string, string | number>

export const dictionaries: Record<Locale, Partial<Record<MessageKey, string>>> = { en, ko }
export const LOCALES: Locale[] = ['ko', 'en']
const STORAGE_KEY = 'boost.locale'

/** Fill `{name}` placeholders; unknown placeholders are left as they are. */
/** A reminder/delivery kind's label, or the kind itself when it is not one we know. */
export function kindLabel(t: (key: MessageKey, vars?: Vars) => string, kind: string): string {
  return labelOr(t, `kind.${kind}`, kind)
}

/** Why a delivery was `skipped` (§9: `up_to_date`, `weekly_cap`), in the reader's language. */
export function skipReasonLabel(t: (key: MessageKey, vars?: Vars) => string, reason: string): string {
  return labelOr(t, `delivery.reason.${reason}`, reason)
}

/** A message built from data (`status.${s}`), or the fallback when there is no such message. */
export function labelOr(t: (key: MessageKey, vars?: Vars) => string, key: string, fallback: string, vars?: Vars): string {
  return key in en ? t(key as MessageKey, vars) : fallback
}

/** `{name}` is the value; `{name:을/를}` the value and the particle that fits it; `{name#을/를}`
 * only that particle (after a closing quote: `“{title}”{title#을/를}`). */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template
  return template.replace(/\{(\w+)(?:([:#])([^}]+))?\}/g, (m, name: string, mark?: string, pair?: string) => {
    if (!(name in vars)) return m
    const value = String(vars[name])
    if (!mark || !pair) return value
    return mark === ':' ? josa(value, pair) : particle(value, pair)
  })
}

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  // Plurals: "{key}_one" when n is 1 and the language has such a form (Korean needs none).
  const one = vars?.n === 1 ? (`${key}_one` as MessageKey) : null
  const dict = dictionaries[locale] as Record<string, string>
  const s = (one && dict[one]) || dictionaries[locale][key] || en[key] || key
  return interpolate(s, vars)
}

/** The person's choice in this browser, then their profile's, then the browser's language. */
export function detectLocale(opts: { stored?: string | null; user?: string | null; browser?: readonly string[] | string | null }): Locale {
  const pick = (v: string | null | undefined): Locale | null => {
    if (!v) return null
    const l = v.toLowerCase()
    if (l.startsWith('ko')) return 'ko'
    if (l.startsWith('en')) return 'en'
    return null
  }
  const fromStored = pick(opts.stored)
  if (fromStored) return fromStored
  const fromUser = pick(opts.user)
  if (fromUser) return fromUser
  const langs = typeof opts.browser === 'string' ? [opts.browser] : opts.browser ?? []
  for (const l of langs) {
    const p = pick(l)
    if (p) return p
  }
  return 'en'
}

export function readStoredLocale(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

export function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return []
  return navigator.languages?.length ? navigator.languages : [navigator.language]
}

export interface Formatters {
  date: (iso: string | null | undefined) => string
  dateShort: (iso: string | null | undefined) => string
  dateTime: (iso: string | null | undefined) => string
  /** A moment as the clock reads in a given time zone (the org's, say), with the zone named. */
  dateTimeIn: (iso: string | null | undefined, timeZone: string) => string
  time: (iso: string | null | undefined) => string
  relative: (iso: string | null | undefined, now?: number) => string
  number: (n: number, decimals?: number) => string
  percent: (p: number | null | undefined) => string
}

/** Dates given as YYYY-MM-DD are calendar dates: format them without a time-zone shift. */
function parse(iso: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso)
}

export function makeFormatters(locale: Locale): Formatters {
  const tag = locale === 'ko' ? 'ko-KR' : 'en-US'
  const dateF = new Intl.DateTimeFormat(tag, { year: 'numeric', month: 'short', day: 'numeric' })
  const shortF = new Intl.DateTimeFormat(tag, { month: 'short', day: 'numeric' })
  const dtF = new Intl.DateTimeFormat(tag, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
  const tF = new Intl.DateTimeFormat(tag, { hour: 'numeric', minute: '2-digit' })
  const rel = new Intl.RelativeTimeFormat(tag, { numeric: 'auto' })
  const ok = (iso: string | null | undefined): iso is string => !!iso && !Number.isNaN(parse(iso).getTime())
  return {
    date: (iso) => (ok(iso) ? dateF.format(parse(iso)) : ''),
    dateShort: (iso) => (ok(iso) ? shortF.format(parse(iso)) : ''),
    dateTime: (iso) => (ok(iso) ? dtF.format(parse(iso)) : ''),
    dateTimeIn: (iso, timeZone) => {
      if (!ok(iso)) return ''
      try {
        const f = new Intl.DateTimeFormat(tag, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone })
        return `${f.format(parse(iso))} (${timeZone})`
      } catch {
        return dtF.format(parse(iso)) // an unknown zone: the browser's
      }
    },
    time: (iso) => (ok(iso) ? tF.format(parse(iso)) : ''),
    relative: (iso, now = serverNow()) => {
      if (!ok(iso)) return ''
      const secs = Math.round((parse(iso).getTime() - now) / 1000)
      const abs = Math.abs(secs)
      if (abs < 45) return rel.format(0, 'second')
      if (abs < 3600) return rel.format(Math.round(secs / 60), 'minute')
      if (abs < 86_400) return rel.format(Math.round(secs / 3600), 'hour')
      if (abs < 86_400 * 30) return rel.format(Math.round(secs / 86_400), 'day')
      if (abs < 86_400 * 365) return rel.format(Math.round(secs / (86_400 * 30)), 'month')
      return rel.format(Math.round(secs / (86_400 * 365)), 'year')
    },
    number: (n, decimals) => new Intl.NumberFormat(tag, { maximumFractionDigits: decimals ?? 2 }).format(n),
    percent: (p) => `${Math.round(Math.min(1, Math.max(0, p ?? 0)) * 100)}%`,
  }
}

interface I18n {
  locale: Locale
  setLocale: (l: Locale, persist?: boolean) => void
  t: (key: MessageKey, vars?: Vars) => string
  fmt: Formatters
}

const I18nContext = createContext<I18n | null>(null)

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(
    () => initial ?? detectLocale({ stored: readStoredLocale(), browser: browserLanguages() }),
  )
  const setLocale = useCallback((l: Locale, persist = true) => {
    setLocaleState(l)
    if (!persist) return
    try {
      localStorage.setItem(STORAGE_KEY, l)
    } catch {
      /* private mode */
    }
  }, [])
  useEffect(() => {
    document.documentElement.lang = locale
  }, [locale])
  const value = useMemo<I18n>(
    () => ({ locale, setLocale, t: (key, vars) => translate(locale, key, vars), fmt: makeFormatters(locale) }),
    [locale, setLocale],
  )
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext)
  if (!ctx) throw new Error('useI18n outside I18nProvider')
  return ctx
}

export const useT = () => useI18n().t

/** Apply the profile's language once it is known, unless this browser chose one. */
export function useProfileLocale(userLocale: string | null | undefined): void {
  const { locale, setLocale } = useI18n()
  useEffect(() => {
    if (readStoredLocale()) return
    const l = detectLocale({ user: userLocale, browser: browserLanguages() })
    if (userLocale && l !== locale) setLocale(l, false)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [userLocale])
}
