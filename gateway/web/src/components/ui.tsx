import type { ReactNode } from 'react'
import type { Health, ObjectiveStatus, User } from '../api/types'
import { useI18n, type MessageKey } from '../i18n'
import { healthFromConfidence, toPercent } from '../lib/progress'
import { initials } from '../lib/names'
import { colourFor } from '../live/presence'

export function ProgressBar({
  value,
  expected,
  label,
  testId,
  health,
  size = 'md',
  marker,
}: {
  value: number
  expected?: number | null
  /** Drawn on the bar, e.g. the forecast's marker. */
  marker?: ReactNode
  label: string
  testId?: string
  health?: Health
  size?: 'sm' | 'md' | 'lg'
}) {
  const { t } = useI18n()
  const pct = toPercent(value)
  const exp = expected === null || expected === undefined ? null : toPercent(expected)
  return (
    <div
      className={`bar bar--${size}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={exp === null ? `${pct}%` : t('progress.valuetext', { pct, expected: exp })}
      data-testid={testId}
    >
      <div className={`bar__fill ${health ? `bar__fill--${health}` : ''}`} style={{ width: `${pct}%` }} />
      {exp !== null && <div className="bar__tick" style={{ left: `${exp}%` }} title={t('progress.expected', { pct: exp })} />}
      {marker}
    </div>
  )
}

const HEALTH_KEY: Record<Health, MessageKey> = {
  on_track: 'health.on_track',
  at_risk: 'health.at_risk',
  off_track: 'health.off_track',
  unknown: 'health.unknown',
}

export function HealthBadge({ health, compact = false }: { health: Health; compact?: boolean }) {
  const { t } = useI18n()
  return (
    <span className={`health health--${health}${compact ? ' health--compact' : ''}`}>
      <span className="health__dot" aria-hidden="true" />
      {t(HEALTH_KEY[health])}
    </span>
  )
}

export function FlagBadges({ behind, stale }: { behind?: boolean; stale?: boolean }) {
  const { t } = useI18n()
  return (
    <>
      {behind && (
        <span className="flag flag--behind" title={t('flag.behind_why')} tabIndex={0} aria-label={`${t('flag.behind')}: ${t('flag.behind_why')}`}>
          {t('flag.behind')}
        </span>
      )}
      {stale && (
        <span className="flag flag--stale" title={t('flag.stale_why')} tabIndex={0} aria-label={`${t('flag.stale')}: ${t('flag.stale_why')}`}>
          {t('flag.stale')}
        </span>
      )}
    </>
  )
}

export const STATUS_KEY: Record<ObjectiveStatus, MessageKey> = {
  draft: 'status.draft',
  submitted: 'status.submitted',
  approved: 'status.approved',
  changes_requested: 'status.changes_requested',
  closed: 'status.closed',
}

export function StatusChip({ status, id, testId = true }: { status: ObjectiveStatus; id: number; testId?: boolean }) {
  const { t } = useI18n()
  return (
    <span className={`chip chip--${status}`} data-status={status} data-testid={testId ? `objective-status-${id}` : undefined}>
      {t(STATUS_KEY[status])}
    </span>
  )
}

export function ConfidenceDot({ confidence }: { confidence: number | null | undefined }) {
  const { t } = useI18n()
  if (confidence === null || confidence === undefined) {
    return <span className="conf conf--none">{t('kr.no_confidence')}</span>
  }
  const h = healthFromConfidence(confidence)
  return (
    <span className={`conf conf--${h}`} title={t('kr.confidence_is', { n: confidence })}>
      <span className="health__dot" aria-hidden="true" />
      {t('kr.confidence_short', { n: confidence })}
    </span>
  )
}

export function Avatar({ user, id, name, size = 28, ring }: { user?: Pick<User, 'id' | 'name' | 'avatar_url'>; id?: number; name?: string; size?: number; ring?: string }) {
  const uid = user?.id ?? id ?? 0
  const n = user?.name ?? name ?? '?'
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4), background: colourFor(uid), boxShadow: ring ? `0 0 0 2px var(--surface), 0 0 0 4px ${ring}` : undefined }
  if (user?.avatar_url && /^(https?:)?\/\//.test(user.avatar_url)) {
    return <img className="avatar" src={user.avatar_url} alt="" width={size} height={size} style={style} loading="lazy" />
  }
  // Initials are drawn by CSS (attr()), so they are decoration, not text to read or match.
  return <span className="avatar" style={style} aria-hidden="true" data-initials={initials(n)} />
}

export function EmptyState({ title, body, action }: { title: string; body?: string; action?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty__title">{title}</p>
      {body && <p className="empty__body">{body}</p>}
      {action && <div className="empty__action">{action}</div>}
    </div>
  )
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n()
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="loading__dot" aria-hidden="true" />
      {label ?? t('common.loading')}
    </div>
  )
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, locale } = useI18n()
  // The server's own sentence is English: shown to people reading English, never raw JSON.
  const detail = locale === 'en' && error instanceof Error && error.message && !/^HTTP \d+$/.test(error.message) && !error.message.trim().startsWith('{') ? error.message : ''
  const status = (error as { status?: number })?.status
  return (
    <div className="error-state" role="alert">
      <p className="empty__title">
        {status === 0 ? t('error.offline') : status === 404 ? t('error.not_found') : status === 403 ? t('error.forbidden') : t('error.generic')}
      </p>
      {detail && status !== 0 && <p className="empty__body">{detail}</p>}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  )
}

/** Company progress as a ring, with the expected mark. */
export function Ring({ value, expected, label }: { value: number; expected: number; label: string }) {
  const r = 52
  const c = 2 * Math.PI * r
  const pct = toPercent(value)
  const exp = toPercent(expected)
  const angle = (exp / 100) * 2 * Math.PI - Math.PI / 2
  const x1 = 60 + Math.cos(angle) * (r - 10)
  const y1 = 60 + Math.sin(angle) * (r - 10)
  const x2 = 60 + Math.cos(angle) * (r + 10)
  const y2 = 60 + Math.sin(angle) * (r + 10)
  return (
    <svg className="ring" viewBox="0 0 120 120" role="img" aria-label={label}>
      <circle cx="60" cy="60" r={r} className="ring__track" />
      <circle
        cx="60"
        cy="60"
        r={r}
        className="ring__fill"
        strokeDasharray={`${(pct / 100) * c} ${c}`}
        transform="rotate(-90 60 60)"
      />
      <line x1={x1} y1={y1} x2={x2} y2={y2} className="ring__tick" />
      <text x="60" y="66" textAnchor="middle" className="ring__label">
        {pct}%
      </text>
    </svg>
  )
}

export function VisuallyHidden({ children }: { children: ReactNode }) {
  return <span className="sr-only">{children}</span>
}
