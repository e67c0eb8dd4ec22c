import type { HistoryEntry } from '../api/types'

/** Typing saves at every pause, so one person's edit of a title is many saved changes.
 *  Changes of the same fields of one thing by one person, each within this of the next,
 *  read as one line. */
export const BURST_MS = 10 * 60 * 1000

type Change = HistoryEntry['changes'][number]

export interface HistoryLine {
  /** The newest entry of the burst (its time, who, what). */
  entry: HistoryEntry
  /** From the burst's first before to its last after. */
  changes: Change[]
  /** Saved changes the line stands for. */
  edits: number
}

const fieldsOf = (e: HistoryEntry) => e.changes.map((c) => c.field).sort().join(',')

function sameBurst(newer: HistoryEntry, older: HistoryEntry, burstMs: number): boolean {
  return (
    newer.action === 'updated' &&
    older.action === 'updated' &&
    newer.entity === older.entity &&
    newer.entity_id === older.entity_id &&
    newer.actor_id === older.actor_id &&
    newer.actor === older.actor &&
    fieldsOf(newer) === fieldsOf(older) &&
    Date.parse(newer.at) - Date.parse(older.at) <= burstMs
  )
}

/** History as people read it: entries newest first in, lines newest first out. */
export function historyLines(entries: HistoryEntry[], burstMs = BURST_MS): HistoryLine[] {
  const lines: HistoryLine[] = []
  let oldest: HistoryEntry | null = null // the last entry folded into the current line
  for (const e of entries) {
    const line = lines[lines.length - 1]
    if (line && oldest && sameBurst(oldest, e, burstMs)) {
      line.changes = line.changes.map((c) => ({ ...c, before: e.changes.find((o) => o.field === c.field)?.before ?? c.before }))
      line.edits += 1
    } else {
      lines.push({ entry: e, changes: e.changes, edits: 1 })
    }
    oldest = e
  }
  return lines
}

/** The titles key results had, from the objective's own list and then its history (a
 *  deleted key result is named by the title it last had). */
export function keyResultTitles(current: { id: number; title: string }[], entries: HistoryEntry[]): Map<number, string> {
  const titles = new Map<number, string>()
  for (const e of entries) {
    if (e.entity !== 'key_result' || titles.has(e.entity_id)) continue
    const title = e.changes.find((c) => c.field === 'title')?.after
    if (typeof title === 'string' && title) titles.set(e.entity_id, title)
  }
  for (const kr of current) titles.set(kr.id, kr.title)
  return titles
}
