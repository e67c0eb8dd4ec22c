import type { Problem } from './types'

/** An HTTP error, carrying the RFC 9457 problem the server answered (status 0: no network). */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem

  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`)
    this.status = problem.status
    this.problem = problem
  }
}

export function readCookie(name: string, cookies: string = typeof document === 'undefined' ? '' : document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [k, ...rest] = part.trim().split('=')
    if (k === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

type UnauthorizedHandler = () => void
let onUnauthorized: UnauthorizedHandler = () => {
  const here = window.location.pathname + window.location.search + window.location.hash
  if (!window.location.pathname.startsWith('/signin')) {
    window.location.assign(`/signin?next=${encodeURIComponent(here)}`)
  }
}

/** The router installs a handler that navigates without a full reload. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler
}

export interface RequestOptions {
  /** Don't send people to sign-in on 401 (used by the sign-in page itself). */
  allowAnonymous?: boolean
  headers?: Record<string, string>
  rawBody?: BodyInit
  signal?: AbortSignal
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Back-pressure: a saturated service answers 503 with `Retry-After` (seconds) before doing any
 * work, so any request, a write too, may be sent again. The client waits (capped, with a little
 * jitter so a crowd of tabs does not come back at the same instant) and tries again quietly; only
 * when every try is refused does the caller see the error. A 503 without `Retry-After` (the
 * gateway's own "starting or restarting") is not retried: the request may have got through.
 */
export const BUSY = { tries: 3, maxWaitMs: 5_000, jitterMs: 250 }

/** Milliseconds to wait before trying again, or null when this answer is final. */
export function busyWait(res: Pick<Response, 'status' | 'headers'>, attempt: number, random: () => number = Math.random): number | null {
  if (res.status !== 503 || attempt >= BUSY.tries) return null
  const header = res.headers.get('retry-after')
  if (header === null || header.trim() === '') return null
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  if (!Number.isFinite(ms)) return null
  return Math.min(Math.max(ms, 0), BUSY.maxWaitMs) + random() * BUSY.jitterMs
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException('Aborted', 'AbortError'))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers }
  if (!SAFE.has(method)) {
    const csrf = readCookie('boost_csrf')
    if (csrf) headers['X-Boost-CSRF'] = csrf
  }
  let payload: BodyInit | undefined = opts.rawBody
  if (body !== undefined && payload === undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let res: Response
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal })
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw new ApiError({ status: 0, title: 'offline', detail: '' })
    }
    const wait = busyWait(res, attempt)
    if (wait === null) break
    await sleep(wait, opts.signal)
  }
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') ?? ''
  const isJson = type.includes('json')
  const data: unknown = isJson ? await res.json().catch(() => null) : await res.text().catch(() => '')
  if (!res.ok) {
    const problem: Problem =
      isJson && data && typeof data === 'object'
        ? { status: res.status, title: res.statusText, detail: '', ...(data as Partial<Problem>) }
        : { status: res.status, title: res.statusText, detail: '' }
    if (res.status === 401 && !opts.allowAnonymous) onUnauthorized()
    throw new ApiError(problem)
  }
  return data as T
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body, opts),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, body, opts),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, undefined, opts),
}

/** Build a query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}
