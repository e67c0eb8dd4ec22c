import { describe, expect, it } from 'vitest'
import { josa, listNames, particle, possessive } from './grammar'
import { translate } from '../i18n'

describe('Korean particles by the final consonant', () => {
  it('picks 을/를, 이/가, 은/는, 과/와, 으로/로', () => {
    expect(josa('칭찬', '을/를')).toBe('칭찬을')
    expect(josa('질문', '을/를')).toBe('질문을')
    expect(josa('회고', '을/를')).toBe('회고를')
    expect(josa('2027-Q1', '이/가')).toBe('2027-Q1이') // "일": a final consonant
    expect(josa('2027-Q2', '이/가')).toBe('2027-Q2가') // "이": none
    expect(josa('목표', '은/는')).toBe('목표는')
    expect(josa('팀', '과/와')).toBe('팀과')
    expect(particle('서울', '으로/로')).toBe('로') // ㄹ takes 로
    expect(particle('부산', '으로/로')).toBe('으로')
    expect(josa('“NPS 50점”', '을/를')).toBe('“NPS 50점”을') // quotes are looked through
    expect(josa('Sales', '은/는')).toBe('Sales는')
  })
  it('fills templates with the right particle, never "을(를)"', () => {
    expect(translate('ko', 'draft.deleted', { title: '온보딩 개선' })).toBe('“온보딩 개선”을 삭제했어요.')
    expect(translate('ko', 'draft.deleted', { title: '매출 두 배로' })).toBe('“매출 두 배로”를 삭제했어요.')
  })
})

describe('English', () => {
  it('writes possessives right', () => {
    expect(possessive('Sales')).toBe('Sales’')
    expect(possessive('Emma')).toBe('Emma’s')
  })
  it('lists names', () => {
    expect(listNames(['Ann', 'Bo', 'Cy'], 'en', 'or')).toBe('Ann, Bo or Cy')
    expect(listNames(['김하늘', '박지우'], 'ko', 'or')).toBe('김하늘 또는 박지우')
  })
})
