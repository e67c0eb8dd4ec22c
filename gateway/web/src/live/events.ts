import type { QueryClient } from '@tanstack/react-query'
import { putKeyResult, putObjective } from '../api/cache'
import type { Envelope, KeyResult, Message, Objective } from '../api/types'
import { keys } from '../api/queries'
import type { EditStore, Entity, Value } from './editStore'
import { fieldKey } from './editStore'
import { flash } from './flash'
import { RULES } from '../lib/rules'

export interface EventContext {
  qc: QueryClient
  edits: EditStore
  meId: number | undefined
}

/** okr may answer a dashboard that misses the last second of writes (rules.json's
 * `dashboard.max_lag_seconds`, its setting's default): refetch once that long has passed since
 * the last event (and a little more), so the refetch is sure to show it. */
export const DASHBOARD_SETTLE_MS = RULES.dashboardMaxLagSeconds * 1000 + 200
/** Under a stream of events, refetch at least this often all the same. */
export const DASHBOARD_MAX_WAIT_MS = 5000
interface Pending {
  timer: ReturnType<typeof setTimeout> | null
  first: number
  last: number
}
const pendingDashboards = new WeakMap<QueryClient, Pending>()
function refreshDashboardSoon(qc: QueryClient): void {
  const p = pendingDashboards.get(qc) ?? { timer: null, first: 0, last: 0 }
  pendingDashboards.set(qc, p)
  p.last = Date.now()
  if (p.timer) return
  p.first = p.last
  const fire = (): void => {
    p.timer = null
    const settle = p.last + DASHBOARD_SETTLE_MS - Date.now()
    if (settle > 0 && Date.now() - p.first < DASHBOARD_MAX_WAIT_MS) {
      p.timer = setTimeout(fire, settle)
      return
    }
    void qc.invalidateQueries({ queryKey: keys.dashboardAll })
    if (settle > 0) {
      // Refetched before the last events had settled: once more after them.
      p.first = Date.now()
      p.timer = setTimeout(fire, settle)
    }
  }
  p.timer = setTimeout(fire, DASHBOARD_SETTLE_MS)
}

/** Apply one `okr.event` / `feedback.event` to what the page shows. */
export function applyEvent(env: Envelope, ctx: EventContext): void {
  const { qc, edits, meId } = ctx
  const [entity, action] = env.type.split('.', 2)
  const mine = edits.isMine(env.op_id)
  const byOther = !mine && env.actor_id !== meId
  const removed = action === 'deleted' || (env.data as { deleted?: boolean }).deleted === true

  if (env.source === 'okr' || (env.source !== 'feedback' && (entity === 'objective' || entity === 'key_result'))) {
    switch (entity) {
      case 'objective': {
        const data = env.data as unknown as Objective
        const id = data.id ?? Number(env.subject_id)
        putObjective(qc, { ...data, id }, removed)
        if (action === 'created' || action === 'restored' || action === 'deleted') {
          void qc.invalidateQueries({ queryKey: keys.objectivesAll })
        }
        if (!mine) forwardToEditor(edits, 'objective', id, env)
        if (byOther) flashWhere(edits, 'objective', id, `objective:${id}`, env)
        void qc.invalidateQueries({ queryKey: keys.history(id) })
        refreshDashboardSoon(qc)
        break
      }
      case 'key_result': {
        const kr = env.data as unknown as KeyResult
        const id = kr.id ?? Number(env.subject_id)
        const objId = kr.objective_id ?? env.scope.objective_id ?? 0
        putKeyResult(qc, { ...kr, id, objective_id: objId }, removed)
        if (action === 'created' || action === 'restored') void qc.invalidateQueries({ queryKey: keys.myKrsAll })
        if (!mine) forwardToEditor(edits, 'key_result', id, env)
        if (byOther) flashWhere(edits, 'key_result', id, `kr:${id}`, env)
        refreshDashboardSoon(qc)
        break
      }
      case 'check_in': {
        const krId = (env.data as { key_result_id?: number }).key_result_id
        if (krId) void qc.invalidateQueries({ queryKey: keys.checkins(krId) })
        break
      }
      case 'team':
        void qc.invalidateQueries({ queryKey: keys.teams })
        void qc.invalidateQueries({ queryKey: keys.me })
        break
      case 'user':
        void qc.invalidateQueries({ queryKey: keys.users })
        break
      case 'org':
        void qc.invalidateQueries({ queryKey: keys.org })
        break
    }
    return
  }

  switch (entity) {
    case 'message': {
      // The event carries the message without its reactions (REST adds them).
      const msg = env.data as unknown as Omit<Message, 'reactions'>
      const subject = msg.subject ?? env.scope.thread
      if (!subject) return
      qc.setQueryData<Message[]>(keys.messages(subject), (list) => {
        if (!list) return list
        const i = list.findIndex((m) => m.id === msg.id)
        if (i < 0) return action === 'created' ? [...list, { ...msg, reactions: [] }] : list
        const next = list.slice()
        next[i] = { ...list[i], ...msg, deleted: msg.deleted || action === 'deleted' }
        return next
      })
      if (byOther) flash(`message:${msg.id}`)
      break
    }
    case 'feedback': {
      void qc.invalidateQueries({ queryKey: keys.feedbackAll })
      const id = (env.data as { id?: number }).id ?? Number(env.subject_id)
      // A retro being written by several people: their text merges into the fields here.
      if (!mine && id) forwardToEditor(edits, 'feedback', id, env)
      if (byOther && id) flash(`feedback:${id}`)
      break
    }
    case 'mention':
      void qc.invalidateQueries({ queryKey: keys.deliveriesAll })
      break
  }
}

/**
 * Someone else's change is marked where it happened: on the page that edits those fields, the
 * fields themselves (a keystroke in a title marks the title, not the whole card); elsewhere,
 * or when something else changed (status, a new key result), the card.
 */
export function flashWhere(edits: EditStore, entity: Entity, id: number, cardKey: string, env: Envelope): void {
  const fields = env.changes ?? []
  const keys = fields.map((f) => fieldKey(entity, id, f))
  if (keys.length && keys.every((k) => edits.has(k))) for (const k of keys) flash(k)
  else flash(cardKey)
}

/** Text and field changes by others reach the fields being edited (three-way merge there). */
function forwardToEditor(edits: EditStore, entity: Entity, id: number, env: Envelope): void {
  if (env.version === null || env.version === undefined) return
  const data = env.data as Record<string, unknown>
  const fields = env.changes?.length ? env.changes : Object.keys(data)
  for (const field of fields) {
    const key = fieldKey(entity, id, field)
    if (edits.has(key) && field in data) edits.remote(key, data[field] as Value, env.version)
  }
}
