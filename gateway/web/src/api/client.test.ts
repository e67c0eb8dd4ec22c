import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, api } from './client'

const busy = (retryAfter: string | null = '1') =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'busy' }), {
    status: 503,
    headers: { 'content-type': 'application/problem+json', ...(retryAfter === null ? {} : { 'retry-after': retryAfter }) },
  })
const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })

/** A fake fetch answering from a script, one answer per call, recording what was sent and when. */
function script(...answers: (() => Response)[]) {
  const calls: { method: string; body: unknown; at: number }[] = []
  const fetch = vi.fn(async (_path: string, init: RequestInit) => {
    calls.push({ method: String(init.method), body: init.body, at: Date.now() })
    const next = answers.shift()
    if (!next) throw new Error('no more answers')
    return next()
  })
  vi.stubGlobal('fetch', fetch)
  return calls
}

describe('a saturated service (503 + Retry-After) is retried quietly', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('a write refused twice goes through on the third try, after the waits the service asked for', async () => {
    const calls = script(() => busy('1'), () => busy('2'), () => ok({ id: 7 }))
    const answer = api.post<{ id: number }>('/api/okr/objectives', { title: 'Grow' })
    await vi.runAllTimersAsync()
    await expect(answer).resolves.toEqual({ id: 7 })
    expect(calls.map((c) => c.method)).toEqual(['POST', 'POST', 'POST'])
    expect(calls.every((c) => c.body === JSON.stringify({ title: 'Grow' }))).toBe(true)
    // 1 s then 2 s, each with 125 ms of jitter (half of 250 ms)
    expect(calls[1].at - calls[0].at).toBe(1125)
    expect(calls[2].at - calls[1].at).toBe(2125)
  })

  it('a long Retry-After is capped at 5 s', async () => {
    const calls = script(() => busy('120'), () => ok([]))
    const answer = api.get('/api/okr/teams')
    await vi.runAllTimersAsync()
    await answer
    expect(calls[1].at - calls[0].at).toBe(5125)
  })

  it('after three refusals the caller gets the 503 (the page shows its usual error)', async () => {
    const calls = script(() => busy(), () => busy(), () => busy(), () => ok({}))
    const answer = api.del('/api/okr/check-ins/3').catch((e: unknown) => e)
    await vi.runAllTimersAsync()
    const err = await answer
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(503)
    expect(calls).toHaveLength(3)
  })

  it('a 503 without Retry-After (the gateway: "starting or restarting") is not sent again', async () => {
    const calls = script(() => busy(null), () => ok({}))
    const answer = api.patch('/api/okr/org', { name: 'x' }).catch((e: unknown) => e)
    await vi.runAllTimersAsync()
    expect(((await answer) as ApiError).status).toBe(503)
    expect(calls).toHaveLength(1)
  })

  it('leaving the page (abort) during the wait stops the retries', async () => {
    const calls = script(() => busy('3'), () => ok({}))
    const stop = new AbortController()
    const answer = api.get('/api/okr/search?q=a', { signal: stop.signal }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(1000)
    stop.abort()
    await vi.runAllTimersAsync()
    expect(((await answer) as Error).name).toBe('AbortError')
    expect(calls).toHaveLength(1)
  })
})
