import { useEffect, useId, useMemo, useState } from 'react'
import type { UserPatch } from '../../api/bodies'
import { REMINDER_KINDS, type Locale } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { kindLabel, useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'
import { CalibrationPanel } from '../forecast'
import { changedFields, isConflict, withSeen } from '../conflict/seen'
import { useUpdateUser } from './mutations'

export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] }
  try {
    const all = intl.supportedValuesOf?.('timeZone')
    if (all?.length) return all
  } catch {
    /* old browser */
  }
  return ['Asia/Seoul', 'Asia/Tokyo', 'UTC', 'Europe/London', 'America/New_York', 'America/Los_Angeles']
}

export default function Settings() {
  const { t, locale, setLocale } = useI18n()
  const { me } = useApp()
  usePageTitle(t('settings.title'))
  const ids = useId()
  const [lang, setLang] = useState<Locale>((me.user.locale as Locale) ?? locale)
  const [tz, setTz] = useState(me.user.timezone ?? '')
  const [muted, setMuted] = useState<Set<string>>(new Set(me.user.muted_reminders ?? []))
  const updateUser = useUpdateUser()
  const busy = updateUser.isPending
  useEffect(() => {
    setTz(me.user.timezone ?? '')
    setMuted(new Set(me.user.muted_reminders ?? []))
  }, [me.user.timezone, me.user.muted_reminders])
  const zones = useMemo(timeZones, [])

  const save = () => {
    const mine = changedFields(me.user as unknown as Record<string, unknown>, { locale: lang, timezone: tz || null, muted_reminders: [...muted].sort() })
    updateUser.mutate(
      { id: me.user.id, body: withSeen(me.user as unknown as Record<string, unknown>, mine) as UserPatch },
      {
        onSuccess: () => {
          setLocale(lang)
          toast({ text: t('settings.saved'), tone: 'success' })
        },
        onError: (err) => (isConflict(err) ? toast({ text: t('conflict.refreshed'), tone: 'error' }) : toastError(err, t('settings.failed'))),
      },
    )
  }

  return (
    <div className="page page--narrow">
      <header className="page__head">
        <h1>{t('settings.title')}</h1>
      </header>
      <form
        className="card form"
        onSubmit={(e) => {
          e.preventDefault()
          void save()
        }}
      >
        <fieldset className="formrow">
          <legend>{t('settings.language')}</legend>
          <div className="segmented">
            {(['ko', 'en'] as Locale[]).map((l) => (
              <label key={l} className="segmented__opt" lang={l}>
                <input type="radio" name={`${ids}-lang`} value={l} checked={lang === l} onChange={() => setLang(l)} />
                <span>{l === 'ko' ? '한국어' : 'English'}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="formrow">
          <label htmlFor={`${ids}-tz`}>{t('settings.timezone')}</label>
          <select id={`${ids}-tz`} className="select" value={tz} onChange={(e) => setTz(e.target.value)}>
            <option value="">{t('settings.timezone_org')}</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          <p className="muted small">{t('settings.timezone_hint')}</p>
        </div>
        <fieldset className="formrow">
          <legend>{t('settings.reminders')}</legend>
          <p className="muted small">{t('settings.reminders_hint')}</p>
          <ul className="checklist">
            {REMINDER_KINDS.map((k) => (
              <li key={k}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={!muted.has(k)}
                    onChange={(e) => {
                      const next = new Set(muted)
                      if (e.target.checked) next.delete(k)
                      else next.add(k)
                      setMuted(next)
                    }}
                  />
                  <span>{kindLabel(t, k)}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {t('common.save')}
        </button>
      </form>
      <CalibrationPanel userId={me.user.id} />
    </div>
  )
}
