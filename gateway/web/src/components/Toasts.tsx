import { useEffect, useSyncExternalStore } from 'react'
import type { Locale } from '../api/types'
import { translate, useI18n, type MessageKey } from '../i18n'

export interface Toast {
  id: number
  text: string
  tone?: 'info' | 'error' | 'success'
  action?: { label: string; run: () => void }
  ms?: number
}

let toasts: Toast[] = []
let seq = 0
const listeners = new Set<() => void>()
const notify = () => listeners.forEach((fn) => fn())

export function toast(t: Omit<Toast, 'id'>): number {
  const id = ++seq
  toasts = [...toasts.slice(-3), { ...t, id }]
  notify()
  return id
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id)
  notify()
}

/** Show a problem's `detail` (or a generic line) as an error toast. */
export function toastError(err: unknown, fallback: string): void {
  toast({ text: errorSentence(err, fallback), tone: 'error' })
}

/** What to tell a person about a failed request, in their language: the server's own sentence
 * in English (it names what happened), otherwise the page's sentence for what failed and, when
 * the status says more (offline, no access, gone), that too. Never a status code or JSON. */
export function errorSentence(err: unknown, fallback: string, lang: string = typeof document === 'undefined' ? 'en' : document.documentElement.lang): string {
  const status = (err as { status?: number })?.status
  const locale: Locale = lang === 'ko' ? 'ko' : 'en'
  const byStatus: MessageKey | null = status === 0 ? 'error.offline' : status === 403 ? 'error.forbidden' : status === 404 ? 'error.not_found' : null
  if (locale === 'en' && err instanceof Error && err.message && !/^HTTP \d+$/.test(err.message) && status !== 0) return err.message
  return byStatus ? `${fallback} ${translate(locale, byStatus)}` : fallback
}

const subscribe = (fn: () => void) => {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
const get = () => toasts

function ToastItem({ t }: { t: Toast }) {
  const { t: tr } = useI18n()
  useEffect(() => {
    const timer = setTimeout(() => dismiss(t.id), t.ms ?? (t.action ? 8000 : 5000))
    return () => clearTimeout(timer)
  }, [t])
  return (
    <div className={`toast toast--${t.tone ?? 'info'}`}>
      <span className="toast__text">{t.text}</span>
      {t.action && (
        <button
          type="button"
          className="btn btn--ghost btn--sm toast__action"
          onClick={() => {
            t.action?.run()
            dismiss(t.id)
          }}
        >
          {t.action.label}
        </button>
      )}
      <button type="button" className="icon-btn toast__close" aria-label={tr('common.dismiss')} onClick={() => dismiss(t.id)}>
        ×
      </button>
    </div>
  )
}

export function Toaster() {
  const list = useSyncExternalStore(subscribe, get, get)
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <ToastItem key={t.id} t={t} />
      ))}
    </div>
  )
}
