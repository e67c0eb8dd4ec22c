/**
 * Forms that stay forms (org settings, people, teams) send only what the person changed,
 * with the version they loaded and, in `base`, the value they loaded for each changed field:
 * the server refuses (409 with the current row) only a field someone else changed meanwhile
 * (okr `directory/seen.py`). Plain functions, unit tested.
 */
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The fields of `form` that differ from what was loaded. */
export function changedFields<T extends Record<string, unknown>>(loaded: T, form: Partial<T>): Partial<T> {
  const out: Partial<T> = {}
  for (const key of Object.keys(form) as (keyof T)[]) {
    if (!same(form[key], loaded[key])) out[key] = form[key]
  }
  return out
}

/** A PATCH body: the changes, the version loaded, and the loaded value of each changed field. */
export function withSeen<T extends Record<string, unknown> & { version?: number | null }>(loaded: T, changes: Partial<T>) {
  const base: Record<string, unknown> = {}
  for (const key of Object.keys(changes)) base[key] = loaded[key] ?? null
  return { ...changes, version: loaded.version ?? undefined, base }
}

/** One line per field someone else changed: theirs (now saved) beside mine (not saved). */
export function conflicting<T extends Record<string, unknown>>(current: T, mine: Partial<T>): { field: string; theirs: unknown; mine: unknown }[] {
  return Object.keys(mine)
    .filter((k) => !same(current[k], mine[k]))
    .map((k) => ({ field: k, theirs: current[k], mine: mine[k] }))
}

/** A 409: someone else's change came first (the page refreshes and says so). */
export function isConflict(err: unknown): boolean {
  return (err as { status?: number } | null)?.status === 409
}
