// A stand-in for the Boost gateway, for working on the web app without the backend:
// serves dist/ (index.html fallback), a subset of the REST contract on in-memory demo
// data, and the Socket.IO contract (subscribe, edit with a three-way text merge,
// presence, okr.event / feedback.event). Dev only; never shipped.
//
//   npm run build && node dev/mock-server.mjs   →  http://localhost:8090
import { createServer } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Server } from 'socket.io'
import DiffMatchPatch from 'diff-match-patch'

const PORT = Number(process.env.MOCK_PORT ?? 8090)
const DIST = fileURLToPath(new URL('../dist/', import.meta.url))
const dmp = new DiffMatchPatch()
const DAY = 86_400_000

// ---------------------------------------------------------------- clock & cycles
const now = () => new Date()
const iso = (d) => d.toISOString().slice(0, 10)
const addDays = (s, n) => iso(new Date(Date.parse(`${s}T00:00:00Z`) + n * DAY))
function cycleOf(id) {
  const [y, q] = [Number(id.slice(0, 4)), Number(id.slice(6))]
  const start = `${y}-${String(3 * (q - 1) + 1).padStart(2, '0')}-01`
  const end = addDays(q === 4 ? `${y + 1}-01-01` : `${y}-${String(3 * q + 1).padStart(2, '0')}-01`, -1)
  const days = (Date.parse(end) - Date.parse(start)) / DAY + 1
  return {
    id, start, end,
    phases: {
      drafting: { start: addDays(start, -14), end: addDays(start, -1) },
      approval_due: addDays(start, -3),
      in_progress: { start, end },
      review: addDays(start, Math.floor(days / 2)),
      retro: { start: addDays(end, -7), end: addDays(end, 7) },
    },
  }
}
const cycleIdOf = (d) => `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`
const shift = (id, n) => {
  let [y, q] = [Number(id.slice(0, 4)), Number(id.slice(6))]
  q += n
  while (q > 4) { q -= 4; y++ }
  while (q < 1) { q += 4; y-- }
  return `${y}-Q${q}`
}
const CUR = cycleIdOf(now())
const NEXT = shift(CUR, 1)
function expected(cycleId) {
  const c = cycleOf(cycleId)
  const total = (Date.parse(c.end) - Date.parse(c.start)) / DAY + 1
  const el = Math.floor((Date.parse(iso(now())) - Date.parse(c.start)) / DAY)
  return Math.min(1, Math.max(0, el / total))
}

// ---------------------------------------------------------------- demo data
const users = [
  { id: 1, email: 'admin@boost.example', name: 'Kim Jiwoo', role: 'admin' },
  { id: 2, email: 'minji@boost.example', name: '이민지', role: 'member' },
  { id: 3, email: 'joon@boost.example', name: 'Park Joon', role: 'member' },
  { id: 4, email: 'seoyeon@boost.example', name: '최서연', role: 'member' },
  { id: 5, email: 'alex@boost.example', name: 'Alex Morgan', role: 'member' },
  { id: 6, email: 'sam@boost.example', name: 'Sam Lee', role: 'member' },
].map((u) => ({ avatar_url: null, slack_user_id: null, active: true, locale: null, timezone: null, muted_reminders: [], ...u }))
const teams = [
  { id: 1, name: 'Boost Inc.', parent_id: null, slack_channel_id: null, members: [{ user_id: 1, role: 'lead' }] },
  { id: 2, name: 'Growth', parent_id: 1, slack_channel_id: null, members: [{ user_id: 2, role: 'lead' }, { user_id: 3, role: 'member' }, { user_id: 5, role: 'member' }] },
  { id: 3, name: 'Product', parent_id: 1, slack_channel_id: null, members: [{ user_id: 4, role: 'lead' }, { user_id: 6, role: 'member' }, { user_id: 3, role: 'member' }] },
  { id: 4, name: 'Platform', parent_id: 3, slack_channel_id: null, members: [{ user_id: 6, role: 'lead' }, { user_id: 5, role: 'member' }] },
]
let org = { name: 'Boost Inc.', timezone: 'Asia/Seoul', fiscal_year_start_month: 1, holidays: [], reminders: {} }
let seq = 100
const objectives = []
const krs = []
const checkins = []
const feedback = []
const messages = []
const history = []
const deliveries = []

function addObjective(o, krList) {
  const obj = { id: ++seq, parent_id: null, description: '', status: 'approved', review: null, version: 1, score: null, closing_note: null, carried_from_id: null, deleted: false, ...o }
  objectives.push(obj)
  for (const k of krList) {
    const kr = { id: ++seq, objective_id: obj.id, unit: '', weight: 1, confidence: null, last_check_in_at: null, version: 1, items: [], deleted: false, kind: 'number', start: 0, current: 0, ...k }
    if (kr.current === undefined) kr.current = kr.start
    krs.push(kr)
    if (k.history) {
      for (const [daysAgo, value, conf] of k.history) {
        const at = new Date(Date.now() - daysAgo * DAY).toISOString()
        checkins.push({ id: ++seq, key_result_id: kr.id, value, confidence: conf, note: '', author_id: kr.owner_id, created_at: at })
        kr.current = value
        kr.confidence = conf
        kr.last_check_in_at = at
      }
      delete kr.history
    }
  }
  return obj
}
const c1 = addObjective({ cycle: CUR, team_id: 1, owner_id: 1, title: 'Become the OKR tool teams open every week' }, [
  { title: 'Weekly active teams from 40 to 120', owner_id: 1, start: 40, target: 120, unit: 'teams', history: [[40, 48, 7], [26, 61, 7], [12, 77, 8], [3, 82, 8]] },
  { title: 'Net revenue retention', kind: 'percent', owner_id: 1, start: 100, target: 115, history: [[30, 102, 6], [9, 105, 5]] },
])
const g1 = addObjective({ cycle: CUR, team_id: 2, owner_id: 2, parent_id: c1.id, title: '한국 시장에서 신규 가입 두 배로 늘리기' }, [
  { title: '월간 신규 가입 팀 300 → 600', owner_id: 2, start: 300, target: 600, unit: '팀', history: [[35, 320, 8], [20, 380, 7], [6, 430, 6]] },
  { title: 'Launch the Slack App Directory listing', kind: 'boolean', owner_id: 3, start: 0, target: 1 },
  { title: 'Onboarding completion from 45% to 70%', kind: 'percent', owner_id: 5, start: 45, target: 70, history: [[40, 46, 4], [25, 48, 3]] },
])
addObjective({ cycle: CUR, team_id: 3, owner_id: 4, parent_id: c1.id, title: 'Make the weekly check-in take under 30 seconds' }, [
  { title: 'Median check-in time from 95 s to 30 s', owner_id: 4, start: 95, target: 30, unit: 's', history: [[28, 80, 6], [14, 61, 7], [2, 44, 8]] },
  { title: 'Ship one-click check-in everywhere', kind: 'milestone', owner_id: 6, start: 0, target: 3, items: [{ id: 901, title: 'Web', done: true }, { id: 902, title: 'Slack modal', done: true }, { id: 903, title: 'Mobile web', done: false }] },
])
addObjective({ cycle: CUR, team_id: 4, owner_id: 6, title: 'Realtime that never loses a keystroke' }, [
  { title: 'p99 edit round trip under 50 ms', owner_id: 6, start: 180, target: 50, unit: 'ms', history: [[50, 170, 5], [30, 120, 4], [16, 96, 3]] },
])
for (const k of krs.filter((k) => k.kind === 'milestone')) k.current = k.items.filter((i) => i.done).length
addObjective({ cycle: NEXT, team_id: 2, owner_id: 2, status: 'draft', title: 'Turn trial teams into paying teams' }, [
  { title: 'Trial-to-paid conversion from 8% to 15%', kind: 'percent', owner_id: 2, start: 8, target: 15 },
  { title: 'Sales-assisted deals closed', owner_id: 3, start: 0, target: 25, unit: 'deals' },
])
addObjective({ cycle: NEXT, team_id: 2, owner_id: 3, status: 'submitted', title: '파트너 채널 열기' }, [{ title: '리셀러 파트너 계약 5곳', owner_id: 3, start: 0, target: 5, unit: '곳' }])
feedback.push(
  { id: ++seq, cycle: CUR, objective_id: g1.id, key_result_id: null, to_user_id: 2, to_team_id: null, team_id: 2, kind: 'praise', body: 'The Korean landing page is lovely — signups from it convert 2x.', author_id: 4, resolved: false, created_at: new Date(Date.now() - 2 * DAY).toISOString() },
  { id: ++seq, cycle: CUR, objective_id: g1.id, key_result_id: null, to_user_id: 2, to_team_id: null, team_id: 2, kind: 'question', body: '온보딩 완료율은 어떤 이벤트로 측정하나요?', author_id: 6, resolved: false, created_at: new Date(Date.now() - 1 * DAY).toISOString() },
)
messages.push(
  { id: ++seq, subject: `objective:${g1.id}`, author_id: 3, body: 'Directory review is in progress; Slack said 5 working days.', mentions: [], created_at: new Date(Date.now() - 3 * 3600_000).toISOString(), edited_at: null, deleted: false },
  { id: ++seq, subject: `objective:${g1.id}`, author_id: 2, body: '<@3> 좋아요! 승인되면 바로 공지할게요.', mentions: [3], created_at: new Date(Date.now() - 2 * 3600_000).toISOString(), edited_at: null, deleted: false },
)
deliveries.push(
  { id: ++seq, key: `reminder:weekly_check_in:${CUR}:x:2`, kind: 'weekly_check_in', user_id: 2, status: 'recorded', text: 'Time for your weekly check-in: 2 key results', blocks: [
    { type: 'section', text: { type: 'mrkdwn', text: '*Weekly check-in* — 2 key results are waiting for an update.' } },
    { type: 'section', fields: [{ type: 'mrkdwn', text: '*월간 신규 가입 팀*\n430 / 600' }, { type: 'mrkdwn', text: '*Confidence*\n6/10' }] },
    { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Check in' }, url: `http://localhost:8080/cycles/${CUR}?kr=${krs[2].id}`, style: 'primary' }] },
  ], created_at: new Date(Date.now() - 5 * 3600_000).toISOString() },
  { id: ++seq, key: 'approval_requested:x', kind: 'approval_requested', user_id: 1, status: 'recorded', text: 'Park Joon asks you to approve “파트너 채널 열기”', blocks: null, created_at: new Date(Date.now() - 26 * 3600_000).toISOString() },
)

// ---------------------------------------------------------------- derived fields
const clamp = (x) => Math.min(1, Math.max(0, x))
const healthOf = (c) => (c === null || c === undefined ? 'unknown' : c >= 7 ? 'on_track' : c >= 4 ? 'at_risk' : 'off_track')
function krView(k) {
  const obj = objectives.find((o) => o.id === k.objective_id)
  const exp = expected(obj.cycle)
  const done = k.items.filter((i) => i.done).length
  const progress = k.kind === 'boolean' ? (k.current >= 1 ? 1 : 0) : k.kind === 'milestone' ? (k.items.length ? done / k.items.length : 0) : k.target === k.start ? 0 : clamp((k.current - k.start) / (k.target - k.start))
  const running = obj.cycle === CUR
  return {
    ...k, progress: Math.round(progress * 10000) / 10000, health: healthOf(k.confidence),
    behind: running && exp - progress > 0.25,
    stale: running && (!k.last_check_in_at || Date.now() - Date.parse(k.last_check_in_at) > 14 * DAY),
    objective_title: obj.title, objective: { id: obj.id, title: obj.title, cycle: obj.cycle, team_id: obj.team_id, status: obj.status },
  }
}
const ORDER = ['off_track', 'at_risk', 'on_track']
function objView(o) {
  const list = krs.filter((k) => k.objective_id === o.id && !k.deleted).map(krView)
  const w = list.reduce((s, k) => s + k.weight, 0)
  const progress = w ? list.reduce((s, k) => s + k.weight * k.progress, 0) / w : 0
  const known = list.map((k) => k.health).filter((h) => h !== 'unknown')
  return { ...o, progress: Math.round(progress * 10000) / 10000, expected_progress: expected(o.cycle), health: ORDER.find((h) => known.includes(h)) ?? 'unknown', key_results: list, needs_closing: o.status !== 'closed' && iso(now()) > cycleOf(o.cycle).end }
}

// ---------------------------------------------------------------- http helpers
const problem = (res, status, detail, extra = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/problem+json' })
  res.end(JSON.stringify({ type: 'about:blank', title: String(status), status, detail, ...extra }))
}
const json = (res, status, body) => {
  if (status === 204) { res.writeHead(204); res.end(); return }
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}
const cookies = (req) => Object.fromEntries((req.headers.cookie ?? '').split(';').map((p) => p.trim().split('=')).filter((p) => p[0]))
const body = (req) => new Promise((resolve) => {
  let raw = ''
  req.on('data', (c) => (raw += c))
  req.on('end', () => { try { resolve(raw ? JSON.parse(raw) : {}) } catch { resolve(raw) } })
})
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' }
async function serveStatic(req, res, path) {
  const file = normalize(join(DIST, decodeURIComponent(path)))
  if (file.startsWith(DIST)) {
    try {
      if ((await stat(file)).isFile()) {
        res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' })
        res.end(await readFile(file))
        return
      }
    } catch { /* fall back */ }
  }
  res.writeHead(200, { 'Content-Type': 'text/html' })
  res.end(await readFile(join(DIST, 'index.html')))
}

let io
function emit(channel, type, data, scope, actorId, changes = [], opId = null) {
  const env = { id: `e${++seq}`, type, source: channel === 'okr.event' ? 'okr' : 'feedback', occurred_at: new Date().toISOString(), actor_id: actorId, op_id: opId, subject_id: data.id, version: data.version ?? null, scope, changes, data, trace_id: null }
  const rooms = []
  if (scope.cycle) rooms.push(`cycle:${scope.cycle}`)
  if (scope.cycle && scope.team_id) rooms.push(`team:${scope.team_id}:${scope.cycle}`)
  if (scope.objective_id) rooms.push(`objective:${scope.objective_id}`)
  if (scope.thread) rooms.push(`thread:${scope.thread}`)
  if (rooms.length) io.to(rooms).emit(channel, env)
}
const scopeOf = (o) => ({ cycle: o.cycle, team_id: o.team_id, objective_id: o.id })
function emitObjective(o, action, actor, changes = [], opId = null) {
  const { key_results: _k, ...data } = objView(o)
  emit('okr.event', `objective.${action}`, data, scopeOf(o), actor, changes, opId)
}
function emitKr(k, action, actor, changes = [], opId = null) {
  const o = objectives.find((x) => x.id === k.objective_id)
  emit('okr.event', `key_result.${action}`, krView(k), scopeOf(o), actor, changes, opId)
}

const TEXT = new Set(['title', 'description', 'unit'])
function applyEdit(entity, target, changes, version, base, actor, opId) {
  const fv = (target.field_versions ??= {})
  const applied = []
  let merged
  for (const [name, value] of Object.entries(changes)) {
    let v = value
    if ((fv[name] ?? 0) > version) {
      if (TEXT.has(name) && base && name in base) {
        ;[v] = dmp.patch_apply(dmp.patch_make(base[name], value), target[name] ?? '')
        merged = { ...(merged ?? {}), [name]: v }
      } else {
        return { ok: false, error: `Someone changed ${name} after you loaded it.`, status: 409, current: entity === 'objective' ? objView(target) : krView(target) }
      }
    }
    if (name === 'title' && (!String(v).trim() || [...String(v)].length > 200)) return { ok: false, error: 'a title is 1–200 characters', status: 422 }
    target[name] = v
    applied.push(name)
  }
  target.version++
  for (const n of applied) fv[n] = target.version
  if (entity === 'objective') {
    if (['submitted', 'approved'].includes(target.status) && applied.includes('title') && iso(now()) < cycleOf(target.cycle).start) target.status = 'draft'
    emitObjective(target, 'updated', actor, applied, opId)
  } else emitKr(target, 'updated', actor, applied, opId)
  return { ok: true, version: target.version, ...(merged ? { value: merged } : {}) }
}
const receipts = new Map()

// ---------------------------------------------------------------- REST
async function api(req, res, url) {
  const path = url.pathname
  const m = (re) => re.exec(path)
  const c = cookies(req)
  const me = users.find((u) => String(u.id) === c.boost_session)
  const method = req.method
  if (path === '/api/okr/healthz') return json(res, 200, { ok: true, mock: true })
  if (path === '/api/auth/dev-users') return json(res, 200, users)
  if (path === '/api/auth/dev-login' && method === 'POST') {
    const { email } = await body(req)
    const u = users.find((x) => x.email === email)
    if (!u) return problem(res, 404, 'No such person.')
    res.setHeader('Set-Cookie', [`boost_session=${u.id}; Path=/; HttpOnly; SameSite=Lax`, `boost_csrf=csrf${u.id}; Path=/; SameSite=Lax`])
    return json(res, 200, { token: 'mock', user: u })
  }
  if (!me) return problem(res, 401, 'Sign in first.')
  if (method !== 'GET' && req.headers['x-boost-csrf'] !== c.boost_csrf) return problem(res, 403, 'Missing or wrong X-Boost-CSRF header.')
  const q = Object.fromEntries(url.searchParams)
  let r
  if (path === '/api/auth/me') return json(res, 200, { user: me, teams: teams.filter((t) => t.members.some((x) => x.user_id === me.id)).map((t) => ({ id: t.id, name: t.name, role: t.members.find((x) => x.user_id === me.id).role })), role: me.role, now: new Date().toISOString() })
  if (path === '/api/auth/logout') {
    res.setHeader('Set-Cookie', ['boost_session=; Path=/; Max-Age=0'])
    return json(res, 204)
  }
  if (path === '/api/okr/cycles') return json(res, 200, [-2, -1, 0, 1, 2].map((n) => cycleOf(shift(CUR, n))))
  if (path === '/api/okr/cycles/current') return json(res, 200, cycleOf(CUR))
  if (path === '/api/okr/cycles/next') return json(res, 200, cycleOf(NEXT))
  if ((r = m(/^\/api\/okr\/cycles\/(\d{4}-Q[1-4])$/))) return json(res, 200, cycleOf(r[1]))
  if (path === '/api/okr/users') return json(res, 200, users)
  if ((r = m(/^\/api\/okr\/users\/(\d+)$/)) && method === 'PATCH') {
    const u = users.find((x) => x.id === Number(r[1]))
    Object.assign(u, await body(req))
    return json(res, 200, u)
  }
  if (path === '/api/okr/teams') return json(res, 200, teams)
  if (path === '/api/okr/org') {
    if (method === 'PATCH') org = { ...org, ...(await body(req)) }
    return json(res, 200, org)
  }
  if (path === '/api/okr/objectives' && method === 'GET') {
    return json(res, 200, objectives.filter((o) => !o.deleted && (!q.cycle || o.cycle === q.cycle) && (!q.team_id || o.team_id === Number(q.team_id))).map(objView))
  }
  if (path === '/api/okr/objectives' && method === 'POST') {
    const b = await body(req)
    const o = addObjective({ cycle: b.cycle, team_id: b.team_id, owner_id: b.owner_id ?? me.id, title: b.title, description: b.description ?? '', status: 'draft', parent_id: b.parent_id ?? null }, [])
    emitObjective(o, 'created', me.id)
    return json(res, 201, objView(o))
  }
  if ((r = m(/^\/api\/okr\/objectives\/(\d+)$/))) {
    const o = objectives.find((x) => x.id === Number(r[1]))
    if (!o) return problem(res, 404, 'That objective does not exist.')
    if (method === 'GET') return json(res, 200, objView(o))
    if (method === 'DELETE') { o.deleted = true; o.version++; emitObjective(o, 'deleted', me.id); return json(res, 204) }
    if (method === 'PATCH') {
      const { version, base, ...changes } = await body(req)
      const ack = applyEdit('objective', o, changes, version, base, me.id, null)
      return ack.ok ? json(res, 200, objView(o)) : problem(res, ack.status, ack.error, ack.current ? { current: ack.current } : {})
    }
  }
  if ((r = m(/^\/api\/okr\/objectives\/(\d+)\/(restore|submit|approve|request-changes|close|carry-over|history)$/))) {
    const o = objectives.find((x) => x.id === Number(r[1]))
    const b = method === 'POST' ? await body(req) : {}
    const act = r[2]
    if (act === 'history') return json(res, 200, history.filter((h) => h.objective_id === o.id))
    if (act === 'restore') o.deleted = false
    if (act === 'submit') o.status = 'submitted'
    if (act === 'approve') o.status = 'approved'
    if (act === 'request-changes') { o.status = 'changes_requested'; o.review = { by: me.id, at: new Date().toISOString(), comment: b.comment } }
    if (act === 'close') { o.status = 'closed'; o.score = b.score; o.closing_note = b.note }
    if (act === 'carry-over') {
      const n = addObjective({ cycle: shift(o.cycle, 1), team_id: o.team_id, owner_id: o.owner_id, title: o.title, status: 'draft', carried_from_id: o.id }, [])
      return json(res, 201, objView(n))
    }
    o.version++
    history.push({ id: ++seq, objective_id: o.id, entity: 'objective', entity_id: o.id, action: act, actor_id: me.id, at: new Date().toISOString(), changes: [{ field: 'status', before: null, after: o.status }] })
    const done = { restore: 'restored', submit: 'submitted', approve: 'approved', 'request-changes': 'changes_requested', close: 'closed' }
    emitObjective(o, done[act], me.id, ['status'])
    return json(res, 200, objView(o))
  }
  if (path === '/api/okr/key-results' && method === 'GET') {
    return json(res, 200, krs.filter((k) => !k.deleted && (q.owner_id !== 'me' || k.owner_id === me.id)).map(krView).filter((k) => !q.cycle || k.cycle === q.cycle))
  }
  if ((r = m(/^\/api\/okr\/objectives\/(\d+)\/key-results$/))) {
    const b = await body(req)
    const k = { id: ++seq, objective_id: Number(r[1]), unit: '', weight: 1, confidence: null, last_check_in_at: null, version: 1, items: [], deleted: false, start: 0, target: 100, kind: 'number', owner_id: me.id, ...b }
    k.current = k.start
    krs.push(k)
    emitKr(k, 'created', me.id)
    return json(res, 201, krView(k))
  }
  if ((r = m(/^\/api\/okr\/key-results\/(\d+)(\/restore)?$/))) {
    const k = krs.find((x) => x.id === Number(r[1]))
    if (!k) return problem(res, 404, 'That key result does not exist.')
    if (r[2]) { k.deleted = false; k.version++; emitKr(k, 'restored', me.id); return json(res, 200, krView(k)) }
    if (method === 'GET') return json(res, 200, krView(k))
    if (method === 'DELETE') { k.deleted = true; k.version++; emitKr(k, 'deleted', me.id); return json(res, 204) }
    if (method === 'PATCH') {
      const { version, base, items, ...changes } = await body(req)
      if (items) { k.items = items.map((i) => ({ id: i.id ?? ++seq, title: i.title, done: !!i.done })); k.target = k.items.length }
      const ack = applyEdit('key_result', k, changes, version, base, me.id, null)
      return ack.ok ? json(res, 200, krView(k)) : problem(res, ack.status, ack.error)
    }
  }
  if ((r = m(/^\/api\/okr\/key-results\/(\d+)\/check-ins$/))) {
    const k = krs.find((x) => x.id === Number(r[1]))
    if (method === 'GET') return json(res, 200, checkins.filter((x) => x.key_result_id === k.id))
    const b = await body(req)
    if (b.item_id !== undefined) {
      const it = k.items.find((i) => i.id === b.item_id)
      if (it) it.done = !!b.done
      b.value = k.items.filter((i) => i.done).length
    }
    const ci = { id: ++seq, key_result_id: k.id, value: b.value, confidence: b.confidence ?? k.confidence, note: b.note ?? '', author_id: me.id, created_at: new Date().toISOString() }
    checkins.push(ci)
    k.current = b.value
    k.confidence = ci.confidence
    k.last_check_in_at = ci.created_at
    k.version++
    const o = objectives.find((x) => x.id === k.objective_id)
    emit('okr.event', 'check_in.created', ci, scopeOf(o), me.id)
    emitKr(k, 'updated', me.id, ['current', 'confidence', 'last_check_in_at'])
    return json(res, 201, { ...ci, key_result: krView(k) })
  }
  if ((r = m(/^\/api\/okr\/check-ins\/(\d+)$/))) {
    const ci = checkins.find((x) => x.id === Number(r[1]))
    const k = krs.find((x) => x.id === ci.key_result_id)
    if (method === 'DELETE') checkins.splice(checkins.indexOf(ci), 1)
    else Object.assign(ci, await body(req))
    const last = checkins.filter((x) => x.key_result_id === k.id).at(-1)
    k.current = last?.value ?? k.start
    k.confidence = last?.confidence ?? null
    k.version++
    emitKr(k, 'updated', me.id, ['current', 'confidence'])
    return json(res, method === 'DELETE' ? 204 : 200, ci)
  }
  if (path === '/api/okr/dashboard') {
    const cyc = q.cycle ?? CUR
    const objs = objectives.filter((o) => o.cycle === cyc && !o.deleted).map(objView)
    const all = objs.flatMap((o) => o.key_results)
    const count = (list, key) => list.reduce((acc, x) => ({ ...acc, [x[key]]: (acc[x[key]] ?? 0) + 1 }), {})
    const root = objs.filter((o) => o.team_id === 1)
    const mean = (l) => (l.length ? l.reduce((s, o) => s + o.progress, 0) / l.length : 0)
    const exp = expected(cyc)
    const c0 = cycleOf(cyc)
    const hist = []
    for (let d = c0.start; d <= iso(now()) && d <= c0.end; d = addDays(d, 7)) {
      const f = (Date.parse(d) - Date.parse(c0.start)) / (Date.parse(iso(now())) - Date.parse(c0.start) || 1)
      hist.push({ date: d, progress: mean(root) * Math.min(1, f) * (0.8 + 0.2 * f), expected: expected(cyc) * f })
    }
    const tree = (parent) => objs.filter((o) => o.parent_id === parent).map((o) => ({ objective_id: o.id, children: tree(o.id) }))
    return json(res, 200, {
      cycle: cyc, company: { progress: mean(root.length ? root : objs), expected_progress: exp },
      teams: teams.map((t) => { const l = objs.filter((o) => o.team_id === t.id); return { id: t.id, name: t.name, progress: mean(l), objectives: l.map((o) => ({ id: o.id, title: o.title, status: o.status, progress: o.progress, health: o.health })) } }),
      counts: { by_status: count(objs, 'status'), by_health: count(objs, 'health') },
      at_risk: all.filter((k) => k.health === 'at_risk' || k.health === 'off_track'), behind: all.filter((k) => k.behind), stale: all.filter((k) => k.stale),
      tree: tree(null), history: hist,
    })
  }
  if (path === '/api/okr/search') {
    const s = (q.q ?? '').toLowerCase()
    const hit = (t) => t.toLowerCase().includes(s)
    return json(res, 200, { objectives: objectives.filter((o) => !o.deleted && hit(o.title)), key_results: krs.filter((k) => !k.deleted && hit(k.title)), users: users.filter((u) => hit(u.name)), teams: teams.filter((t) => hit(t.name)) })
  }
  if (path === '/api/feedback/feedback' && method === 'GET') {
    const mine = (f) => f.to_user_id === me.id || objectives.some((o) => o.id === f.objective_id && o.owner_id === me.id)
    return json(res, 200, feedback.filter((f) => (!q.cycle || f.cycle === q.cycle) && (!q.kind || f.kind === q.kind) && (!q.objective_id || f.objective_id === Number(q.objective_id)) && (!q.team_id || f.team_id === Number(q.team_id)) && (!q.author_id || f.author_id === Number(q.author_id)) && (q.to !== 'me' || mine(f))))
  }
  if (path === '/api/feedback/feedback' && method === 'POST') {
    const b = await body(req)
    const f = { id: ++seq, cycle: b.cycle ?? CUR, objective_id: null, key_result_id: null, to_user_id: null, to_team_id: null, team_id: b.team_id ?? objectives.find((o) => o.id === b.objective_id)?.team_id ?? null, body: '', resolved: false, ...b, author_id: me.id, created_at: new Date().toISOString() }
    feedback.push(f)
    emit('feedback.event', 'feedback.created', f, { cycle: f.cycle }, me.id)
    return json(res, 201, f)
  }
  if ((r = m(/^\/api\/feedback\/feedback\/(\d+)$/))) {
    const f = feedback.find((x) => x.id === Number(r[1]))
    Object.assign(f, await body(req))
    emit('feedback.event', 'feedback.updated', f, { cycle: f.cycle }, me.id)
    return json(res, 200, f)
  }
  if ((r = m(/^\/api\/feedback\/threads\/([^/]+)\/messages$/))) {
    const subject = decodeURIComponent(r[1])
    if (method === 'GET') {
      let list = messages.filter((x) => x.subject === subject)
      if (q.before) list = list.filter((x) => x.id < Number(q.before))
      return json(res, 200, list.slice(-Number(q.limit ?? 50)))
    }
    const b = await body(req)
    const msg = { id: ++seq, subject, author_id: me.id, body: b.body, mentions: [...b.body.matchAll(/<@(\d+)>/g)].map((x) => Number(x[1])), created_at: new Date().toISOString(), edited_at: null, deleted: false }
    messages.push(msg)
    emit('feedback.event', 'message.created', msg, { thread: subject }, me.id)
    return json(res, 201, msg)
  }
  if ((r = m(/^\/api\/feedback\/messages\/(\d+)$/))) {
    const msg = messages.find((x) => x.id === Number(r[1]))
    if (method === 'DELETE') Object.assign(msg, { deleted: true, body: '' })
    else Object.assign(msg, { body: (await body(req)).body, edited_at: new Date().toISOString() })
    emit('feedback.event', `message.${method === 'DELETE' ? 'deleted' : 'updated'}`, msg, { thread: msg.subject }, me.id)
    return json(res, 200, msg)
  }
  if (path === '/api/notifier/deliveries') return json(res, 200, deliveries.filter((d) => q.user_id !== 'me' || d.user_id === me.id))
  if (path === '/api/scheduler/reminders') {
    return json(res, 200, { kinds: ['drafting_open', 'approval_due', 'weekly_check_in', 'review_mid_quarter', 'retro_open', 'team_digest'].map((kind) => ({ kind, enabled: true, next_run_at: new Date(Date.now() + 3 * DAY).toISOString() })) })
  }
  return problem(res, 404, `No mock for ${method} ${path}`)
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`)
  try {
    if (url.pathname.startsWith('/api/')) await api(req, res, url)
    else await serveStatic(req, res, url.pathname)
  } catch (err) {
    console.error(err)
    problem(res, 500, String(err))
  }
})

io = new Server(server, { path: '/socket.io', transports: ['websocket'] })
const presence = new Map() // room -> Map(socketId -> {id,name,field})
function sendPresence(room) {
  const seen = presence.get(room) ?? new Map()
  io.to(room).emit('presence', { room, users: [...seen.values()] })
}
io.use((socket, next) => {
  const c = Object.fromEntries((socket.handshake.headers.cookie ?? '').split(';').map((p) => p.trim().split('=')))
  const u = users.find((x) => String(x.id) === c.boost_session)
  if (!u) return next(new Error('Sign in first.'))
  socket.data.user = u
  next()
})
io.on('connection', (socket) => {
  const u = socket.data.user
  socket.on('subscribe', ({ room } = {}, ack) => {
    socket.join(room)
    socket.emit('presence', { room, users: [...(presence.get(room)?.values() ?? [])] })
    ack?.({ ok: true })
  })
  socket.on('unsubscribe', ({ room } = {}, ack) => {
    socket.leave(room)
    ack?.({ ok: true })
  })
  socket.on('presence', ({ room, field } = {}, ack) => {
    if (!presence.has(room)) presence.set(room, new Map())
    presence.get(room).set(socket.id, { id: u.id, name: u.name, field: field ?? null })
    sendPresence(room)
    ack?.({ ok: true })
  })
  socket.on('edit', (op, ack) => {
    if (receipts.has(op.op_id)) return ack(receipts.get(op.op_id))
    const target = op.entity === 'objective' ? objectives.find((o) => o.id === op.id) : krs.find((k) => k.id === op.id)
    const reply = target ? applyEdit(op.entity, target, op.changes, op.version, op.base, u.id, op.op_id) : { ok: false, error: 'not found', status: 404 }
    receipts.set(op.op_id, reply)
    ack(reply)
  })
  socket.on('disconnect', () => {
    for (const [room, map] of presence) if (map.delete(socket.id)) sendPresence(room)
  })
})

server.listen(PORT, () => console.log(`Boost mock gateway on http://localhost:${PORT} (current ${CUR}, next ${NEXT})`))
