/**
 * A number as a person types it: finished and finite, or not a value yet. "1e309" is
 * Infinity, "1." and "-" are on their way; none of them is sent (the edit store holds them).
 * Thousands separators are accepted ("1,200").
 */
export function parseNumberInput(text: string): { ok: true; value: number } | { ok: false } {
  const t = text.trim().replace(/,(?=\d{3}(\D|$))/g, '')
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || /\.$/.test(t)) return { ok: false }
  const value = Number(t)
  return Number.isFinite(value) ? { ok: true, value } : { ok: false }
}
