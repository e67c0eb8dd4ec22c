import { useEffect, useId, useRef, useState } from 'react'
import { Link } from 'react-router'
import { useDeliveries } from '../../api/queries'
import { Icon } from '../../components/icons'
import { renderSlackText } from '../../components/slackText'
import { kindLabel, skipReasonLabel, useI18n } from '../../i18n'
import { useDismiss } from '../../lib/useDismiss'
import { useApp } from '../../state/app'
import { deliveryLink } from './deliveryLink'

const SEEN_KEY = 'boost.bell.seen'

export function Bell() {
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
  useDismiss(open, ref, () => setOpen(false))
  // Opening the bell marks what it shows as seen.
  useEffect(() => {
    if (!open) return
    const top = list[0]?.id ?? 0
    if (top > seen) {
      setSeen(top)
      localStorage.setItem(SEEN_KEY, String(top))
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
