import { ApiError, api } from '../api/client'
import type { EditAck, Feedback } from '../api/types'
import type { EditOp, Transport } from './editStore'

/**
 * Feedback edits (a retro's fields, a feedback body) through `PATCH /api/feedback/feedback/{id}`
 * with the version and base text the person started from: the server merges text written at
 * the same time and refuses (409 with the current entry) a value changed meanwhile, and the
 * edit store treats the answer like a socket ack. No network: the op stays pending and is
 * sent again with the same op_id.
 */
export function feedbackTransport(isOnline: () => boolean): Transport {
  return {
    isConnected: isOnline,
    async send(op: EditOp): Promise<EditAck> {
      try {
        // A network that silently drops everything would leave the request hanging: give up after
        // 10 s like a socket edit, and the op stays pending (sent again with the same op_id).
        const fb = await api.patch<Feedback>(
          `/api/feedback/feedback/${op.id}`,
          { ...op.changes, version: op.version, base: op.base, op_id: op.op_id },
          { signal: AbortSignal.timeout(10_000) },
        )
        return { ok: true, version: fb.version, value: fb as unknown as Record<string, unknown> }
      } catch (err) {
        if (err instanceof ApiError && err.status !== 0) {
          const { title, detail, current } = err.problem as { title?: string; detail?: string; current?: Record<string, unknown> }
          return { ok: false, status: err.status, error: { status: err.status, title, detail }, current }
        }
        throw err
      }
    },
  }
}
