import type { Health, KeyResult } from '../api/types'
import { RULES } from './rules'

export const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)

/**
 * Progress of a key result, as okr computes it (okr_service.domain.progress.kr_progress), for
 * instant feedback after a click; the server's value replaces it when the event arrives.
 */
export function krProgress(kr: Pick<KeyResult, 'kind' | 'start' | 'target' | 'current' | 'items'>, current = kr.current): number {
  switch (kr.kind) {
    case 'boolean':
      return current >= RULES.booleanDoneFrom ? 1 : 0
    case 'milestone': {
      const total = kr.items?.length ?? 0
      if (total === 0) return 0
      return kr.items.filter((i) => i.done).length / total
    }
    default:
      if (kr.target === kr.start) return 0
      return clamp01((current - kr.start) / (kr.target - kr.start))
  }
}

/** 0..1 → an integer percentage for aria-valuenow and labels. */
export const toPercent = (p: number | null | undefined): number => Math.round(clamp01(p ?? 0) * 100)

/** How many decimals a value on this KR's scale deserves (okr's rules `decimals_for`, from rules.json). */
export function decimalsFor(kr: Pick<KeyResult, 'kind' | 'start' | 'target'>): number {
  if (kr.kind === 'boolean' || kr.kind === 'milestone') return 0
  const range = Math.abs(kr.target - kr.start)
  const given = Math.max(decimalsOf(kr.start), decimalsOf(kr.target))
  if (range >= RULES.wholeNumbersFromRange) return 0
  if (range >= RULES.tenthsFromRange) return Math.max(given, 1)
  return Math.max(given, 2)
}

function decimalsOf(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return 0
  const s = String(n)
  const i = s.indexOf('.')
  return i < 0 ? 0 : Math.min(s.length - i - 1, RULES.maxDecimals)
}

export function roundTo(n: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(n * f) / f
}

/** The value recorded when someone clicks at `fraction` (0..1) of a number/percent KR's bar. */
export function valueAtFraction(kr: Pick<KeyResult, 'kind' | 'start' | 'target'>, fraction: number): number {
  const f = clamp01(fraction)
  return roundTo(kr.start + f * (kr.target - kr.start), decimalsFor(kr))
}

/** Where on a bar of `width` pixels starting at `left` a click at `clientX` lands, 0..1. */
export function fractionAt(clientX: number, left: number, width: number, rtl = false): number {
  if (width <= 0) return 0
  const f = clamp01((clientX - left) / width)
  return rtl ? 1 - f : f
}

export function healthFromConfidence(confidence: number | null | undefined): Health {
  if (confidence === null || confidence === undefined) return 'unknown'
  if (confidence >= RULES.onTrackFrom) return 'on_track'
  if (confidence >= RULES.atRiskFrom) return 'at_risk'
  return 'off_track'
}

/** The worst of some healths (okr's worst_health): an unknown key result makes an on-track objective unknown. */
export function worstHealth(healths: readonly Health[]): Health {
  for (const h of RULES.healthWorstFirst) if (healths.includes(h)) return h
  return 'unknown'
}

/** An objective's progress and health from its live key results, as okr rolls them up. */
export function objectiveRollUp(krs: readonly Pick<KeyResult, 'progress' | 'weight' | 'health'>[]): { progress: number; health: Health } {
  let weights = 0
  let sum = 0
  for (const k of krs) {
    sum += (k.progress ?? 0) * k.weight
    weights += k.weight
  }
  return { progress: weights > 0 ? Math.round((sum / weights) * 10000) / 10000 : 0, health: worstHealth(krs.map((k) => k.health)) }
}

export function formatNumber(n: number, locale: string, decimals?: number): string {
  const opts: Intl.NumberFormatOptions =
    decimals === undefined ? { maximumFractionDigits: 2 } : { maximumFractionDigits: decimals, minimumFractionDigits: 0 }
  return new Intl.NumberFormat(locale, opts).format(n)
}

/**
 * A key result's value as people write it: its unit placed by the unit's kind ("42%",
 * "1,200 users", "₩3,000", "430팀") and as many decimals as its scale deserves (a 0→100
 * percent reads 35%, not 35.32%). The one way every page formats a key result's numbers.
 */
export function formatValue(n: number, kr: Pick<KeyResult, 'kind' | 'unit' | 'start' | 'target'>, locale: string): string {
  const num = formatNumber(roundTo(n, decimalsFor(kr)), locale, decimalsFor(kr))
  if (kr.kind === 'percent') return `${num}%`
  const u = (kr.unit ?? '').trim()
  if (!u) return num
  if (u === '%') return `${num}%`
  if (/^[$€£₩¥]$/.test(u)) return `${u}${num}`
  // Korean counters and units ("명", "억원") and ratios ("/5") attach to the number.
  if (/^[\uac00-\ud7a3/x×]/.test(u)) return `${num}${u}`
  return `${num} ${u}`
}

/** Percent points between actual and expected progress (negative = behind). */
export const gapPoints = (progress: number, expected: number): number => Math.round((progress - expected) * 100)
