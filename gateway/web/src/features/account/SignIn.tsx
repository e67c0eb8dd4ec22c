import { keys } from '../../api/queries'
import { useEffect, useState } from 'react'
import { useNavigate, useSearchParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { api, ApiError, qs } from '../../api/client'
import type { Me, User } from '../../api/types'

type DevUser = User & { teams: { id: number; name: string; role: 'member' | 'lead' }[] }
import { Avatar } from '../../components/ui'
import { useI18n, type MessageKey } from '../../i18n'
import { useDevLogin } from './mutations'

/** Only paths inside Boost are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/signin')) return '/'
  return next
}

export default function SignIn() {
  const { t, locale, setLocale } = useI18n()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'))
  const navigate = useNavigate()
  const login = useDevLogin()
  // Whose button is busy: from the click until the page leaves for where it was going.
  const busy = login.isPending || login.isSuccess ? (login.variables ?? null) : null
  const [error, setError] = useState<string | null>(null)

  const me = useQuery({ queryKey: keys.meForSignIn, queryFn: () => api.get<Me>('/api/auth/me', { allowAnonymous: true }), retry: false })
  const devUsers = useQuery({
    queryKey: keys.devUsers,
    queryFn: () => api.get<DevUser[]>('/api/auth/dev-users', { allowAnonymous: true }),
    retry: false,
  })
  // Sign in with Slack is offered only where it is set up.
  const methods = useQuery({
    queryKey: keys.signInMethods,
    queryFn: () => api.get<{ slack: boolean; dev: boolean }>('/api/auth/methods', { allowAnonymous: true }),
    retry: false,
  })

  useEffect(() => {
    if (me.data?.user) navigate(next, { replace: true })
  }, [me.data, navigate, next])

  useEffect(() => {
    document.title = `${t('signin.title')} · Boost`
  }, [t])

  const devLogin = async (u: User) => {
    setError(null)
    login.mutate(u.email, {
      onSuccess: () => navigate(next, { replace: true }),
      onError: (err) => setError(err instanceof ApiError && err.problem.detail ? err.problem.detail : t('signin.failed')),
    })
  }

  const slackHref = `/api/auth/slack/login${qs({ next })}`
  const showDev = devUsers.isSuccess && Array.isArray(devUsers.data) && devUsers.data.length > 0
  const params2 = new URLSearchParams(window.location.search)
  const slackError = params2.get('error')
  const SLACK_ERRORS: Record<string, MessageKey> = {
    slack_unconfigured: 'signin.slack_unconfigured',
    slack_stale: 'signin.slack_stale',
    slack_refused: 'signin.slack_refused',
  }

  return (
    <main className="signin" id="main">
      <div className="signin__card">
        <div className="signin__brand">
          <span className="brand__mark brand__mark--lg" aria-hidden="true">
            B
          </span>
          <h1>Boost</h1>
        </div>
        <p className="signin__tagline">{t('signin.tagline')}</p>
        {(error || slackError) && (
          <p className="notice notice--error" role="alert">
            {error ?? t(SLACK_ERRORS[slackError ?? ''] ?? 'signin.slack_failed')}
          </p>
        )}
        {methods.data?.slack && (
        <a className="btn btn--slack btn--block" href={slackHref}>
          <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path fill="#E01E5A" d="M5 15a2 2 0 1 1-2-2h2zm1 0a2 2 0 1 1 4 0v5a2 2 0 1 1-4 0z" />
            <path fill="#36C5F0" d="M9 5a2 2 0 1 1 2-2v2zm0 1a2 2 0 1 1 0 4H4a2 2 0 1 1 0-4z" />
            <path fill="#2EB67D" d="M19 9a2 2 0 1 1 2 2h-2zm-1 0a2 2 0 1 1-4 0V4a2 2 0 1 1 4 0z" />
            <path fill="#ECB22E" d="M15 19a2 2 0 1 1-2 2v-2zm0-1a2 2 0 1 1 0-4h5a2 2 0 1 1 0 4z" />
          </svg>
          {t('signin.slack')}
        </a>
        )}
        {showDev && (
          <section className="signin__dev" aria-labelledby="dev-title">
            <h2 id="dev-title">{t('signin.dev_title')}</h2>
            <p className="muted small">{t('signin.dev_body')}</p>
            <ul className="devusers">
              {devUsers.data!.map((u) => (
                <li key={u.id}>
                  <button type="button" className="devuser" onClick={() => void devLogin(u)} disabled={busy !== null}>
                    <Avatar user={u} size={36} />
                    <span className="devuser__text">
                      <strong>{u.name}</strong>
                      <span className="muted small">
                        {u.role === 'admin' ? `${t('role.admin')} · ` : ''}
                        {u.teams.length
                          ? u.teams.map((tm) => `${tm.name}${tm.role === 'lead' ? ` (${t('role.lead')})` : ''}`).join(', ')
                          : t('signin.no_teams')}
                      </span>
                      <span className="muted small">{u.email}</span>
                    </span>
                    {busy === u.email && <span className="muted small">{t('common.loading')}</span>}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
        <div className="signin__foot">
          <button type="button" className="btn btn--ghost" lang={locale === 'ko' ? 'en' : 'ko'} onClick={() => setLocale(locale === 'ko' ? 'en' : 'ko')}>
            {locale === 'ko' ? 'English' : '한국어'}
          </button>
        </div>
      </div>
    </main>
  )
}
