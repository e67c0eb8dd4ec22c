import { describe, expect, it } from 'vitest'
import { initials } from './names'

describe('initials', () => {
  it('shows a Korean name by its given name', () => {
    expect(initials('박지우')).toBe('지우')
    expect(initials('남궁민수')).toBe('민수')
    expect(initials('김하늘 (Haneul Kim)')).toBe('하늘')
    expect(initials('Haneul 김하늘')).toBe('하늘')
  })

  it('keeps a two-syllable or one-syllable Korean name whole', () => {
    expect(initials('김철')).toBe('김철')
    expect(initials('준')).toBe('준')
  })

  it('shows other names by first and last initials', () => {
    expect(initials('Emma Lee')).toBe('EL')
    expect(initials('  daniel   de la kang ')).toBe('DK')
    expect(initials('Cher')).toBe('C')
    expect(initials('   ')).toBe('?')
  })
})
