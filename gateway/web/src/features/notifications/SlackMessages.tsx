import { useMemo, useState } from 'react'
import { ApiError } from '../../api/client'
import { useDeliveries } from '../../api/queries'
import { REMINDER_KINDS, type Delivery, type DeliveryStatus } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { SlackBlocks } from '../../components/slackText'
import { Avatar, EmptyState, ErrorState, Loading } from '../../components/ui'
import { kindLabel, skipReasonLabel, useI18n, type MessageKey } from '../../i18n'
import { useApp } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'
import { useResend } from './mutations'

const STATUSES: DeliveryStatus[] = ['recorded', 'scheduled', 'sending', 'sent', 'failed', 'unknown', 'skipped']
const STATUS_KEY: Record<DeliveryStatus, MessageKey> = {
  recorded: 'delivery.recorded',
  scheduled: 'delivery.scheduled',
  sending: 'delivery.sending',
  sent: 'delivery.sent',
  failed: 'delivery.failed',
  unknown: 'delivery.unknown',
  skipped: 'delivery.skipped',
}

export default function SlackMessages() {
  const { t, fmt } = useI18n()
  const app = useApp()
  usePageTitle(t('nav.slack'))
  const [kind, setKind] = useState('')
  const [status, setStatus] = useState('')
  const params = useMemo(() => ({ kind: kind || undefined, status: status || undefined, ...(app.isAdmin ? {} : { user_id: 'me' }) }), [kind, status, app.isAdmin])
  const q = useDeliveries(params, { refetchInterval: 15_000 })
  const list = [...(q.data ?? [])].sort((a, b) => b.id - a.id)
  // A notifier without a delivery log yet answers 404: nothing has been sent.
  const notYet = q.error instanceof ApiError && q.error.status === 404
  return (
    <div className="page">
      <header className="page__head">
        <div>
          <h1>{t('nav.slack')}</h1>
          <p className="muted">{t('slack.subtitle')}</p>
        </div>
      </header>
      <div className="filters">
        <label className="inline-field">
          <span className="label">{t('slack.kind')}</span>
          <select className="select" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">{t('slack.all_kinds')}</option>
            {REMINDER_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(t, k)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span className="label">{t('slack.status')}</span>
          <select className="select" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('slack.all_statuses')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(STATUS_KEY[s])}
              </option>
            ))}
          </select>
        </label>
      </div>
      {q.isPending && <Loading />}
      {q.isError && !notYet && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {((q.data && list.length === 0) || notYet) && <EmptyState title={t('slack.empty')} body={t('slack.empty_body')} />}
      <ul className="slacklist">
        {list.map((d) => {
          const user = d.user_id ? app.users.get(d.user_id) : undefined
          return (
            <li key={d.id} className="slackmsg">
              <div className="slackmsg__meta">
                {user ? (
                  <span className="kr__owner">
                    <Avatar user={user} size={20} /> {user.name}
                  </span>
                ) : (
                  <span>#{d.channel ?? '—'}</span>
                )}
                <span className="kind">{kindLabel(t, d.kind)}</span>
                <span className={`chip chip--delivery-${d.status}`}>{t(STATUS_KEY[d.status] ?? 'delivery.unknown')}</span>
                {d.status === 'skipped' && d.reason && (
                  <span className="chip chip--reason" data-testid={`delivery-reason-${d.id}`} data-reason={d.reason}>
                    {skipReasonLabel(t, d.reason)}
                  </span>
                )}
                <time className="muted small" dateTime={d.created_at}>
                  {fmt.dateTime(d.created_at)}
                </time>
              </div>
              <div className="slack">
                <div className="slack__bot" aria-hidden="true">
                  B
                </div>
                <div className="slack__content">
                  <p className="slack__name">
                    Boost <span className="slack__app">APP</span>
                  </p>
                  <SlackBlocks blocks={d.blocks} fallback={d.text} />
                </div>
              </div>
              {d.error && <p className="field__error small">{d.error}</p>}
              {app.isAdmin && (d.status === 'unknown' || d.status === 'failed') && <Resend delivery={d} />}
            </li>
          )
        })}
      </ul>
    </div>
  )
}

/** Admins send an `unknown` or `failed` message again, deliberately: a new delivery (contract §6). */
function Resend({ delivery }: { delivery: Delivery }) {
  const { t } = useI18n()
  const send = useResend()
  const busy = send.isPending
  const resend = () => {
    if (delivery.status === 'unknown' && !window.confirm(t('slack.resend_confirm'))) return
    send.mutate(delivery.id, {
      onSuccess: () => toast({ text: t('slack.resent'), tone: 'success' }),
      onError: (err) => toastError(err, t('admin.failed')),
    })
  }
  return (
    <button type="button" className="btn btn--sm" disabled={busy} onClick={() => void resend()} data-testid="delivery-resend">
      {t('slack.resend')}
    </button>
  )
}
