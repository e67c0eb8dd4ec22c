import { describe, expect, it } from 'vitest'
import type { Envelope } from '../api/types'
import { EditStore } from './editStore'
import { flashWhere } from './events'
import { isFlashing } from './flash'

const env = (changes: string[]) => ({ changes } as unknown as Envelope)

describe('a remote change is marked where it happened', () => {
  it('marks the field being edited, not the whole card, on a keystroke', () => {
    const edits = new EditStore({ storage: null })
    edits.ensure('objective', 5, 'title', 'Grow', 1)
    flashWhere(edits, 'objective', 5, 'objective:5', env(['title']))
    expect(isFlashing('objective:5:title')).toBe(true)
    expect(isFlashing('objective:5')).toBe(false)
  })
  it('marks the card when the page has no such field, or something structural changed', () => {
    const edits = new EditStore({ storage: null })
    flashWhere(edits, 'objective', 6, 'objective:6', env(['status']))
    expect(isFlashing('objective:6')).toBe(true)
  })
})
