import { describe, expect, it } from 'vitest'
import { en } from './en'
import { ko } from './ko'
import { detectLocale, interpolate, makeFormatters, translate } from './index'

// `{name}`, and `{name:을/를}` / `{name#을/를}` (a Korean particle chosen for the value) name the same value.
const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)(?:[:#][^}]+)?\}/g)].map((m) => m[1]))].sort()

describe('i18n', () => {
  it('translates every English key into Korean, with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      if (key.endsWith('_one')) continue
      const k = ko[key]
      expect(k, key).toBeTruthy()
      expect(placeholders(k!), key).toEqual(placeholders(en[key]))
    }
  })
  it('has no Korean key that English lacks', () => {
    for (const key of Object.keys(ko)) expect(key in en, key).toBe(true)
  })
  it('fills placeholders', () => {
    expect(translate('en', 'dash.empty_title', { cycle: '2027-Q1' })).toBe('No objectives for 2027-Q1 yet — start with one')
    expect(translate('ko', 'dash.empty_title', { cycle: '2027-Q1' })).toBe('2027-Q1 목표가 아직 없어요 — 하나 만들어 보세요')
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}')
  })
  it('uses the singular form in English when n is 1', () => {
    expect(translate('en', 'dash.n_objectives', { n: 1 })).toBe('1 objective')
    expect(translate('en', 'dash.n_objectives', { n: 3 })).toBe('3 objectives')
    expect(translate('ko', 'dash.n_objectives', { n: 1 })).toBe('목표 1개')
  })
  it('chooses the language: this browser’s choice, then the profile, then the browser', () => {
    expect(detectLocale({ stored: 'en', user: 'ko', browser: ['ko-KR'] })).toBe('en')
    expect(detectLocale({ user: 'ko', browser: ['en-US'] })).toBe('ko')
    expect(detectLocale({ browser: ['ko-KR', 'en'] })).toBe('ko')
    expect(detectLocale({ browser: ['fr-FR', 'en-GB'] })).toBe('en')
    expect(detectLocale({ browser: [] })).toBe('en')
  })
  it('formats dates and relative times per language', () => {
    const now = Date.parse('2027-01-10T12:00:00Z')
    expect(makeFormatters('en').relative('2027-01-07T12:00:00Z', now)).toBe('3 days ago')
    expect(makeFormatters('ko').relative('2027-01-07T12:00:00Z', now)).toBe('3일 전')
    expect(makeFormatters('en').percent(0.456)).toBe('46%')
    // The org's reminder times read in the org's zone, whatever the browser's is.
    expect(makeFormatters('en').dateTimeIn('2026-12-18T01:00:00Z', 'Asia/Seoul')).toMatch(/^Dec 18, 10:00\s?AM \(Asia\/Seoul\)$/)
    expect(makeFormatters('ko').dateTimeIn('2026-12-18T01:00:00Z', 'Asia/Seoul')).toMatch(/^12월 18일 (오전|AM) 10:00 \(Asia\/Seoul\)$/)
  })
})
