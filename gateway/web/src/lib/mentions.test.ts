import { describe, expect, it } from 'vitest'
import { encodeMentions, mentionQuery, mentionsToText, splitMentions } from './mentions'

describe('chat mentions', () => {
  it('splits a body into text and mentions', () => {
    expect(splitMentions('hi <@12>, see <@3>!')).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'mention', id: 12 },
      { type: 'text', text: ', see ' },
      { type: 'mention', id: 3 },
      { type: 'text', text: '!' },
    ])
  })
  it('keeps markup as plain text', () => {
    expect(splitMentions('<img src=x onerror=alert(1)>')).toEqual([{ type: 'text', text: '<img src=x onerror=alert(1)>' }])
  })
  it('encodes picked names as <@id>, longest first', () => {
    const picked = new Map([
      ['Kim', 1],
      ['Kim Minji', 2],
    ])
    expect(encodeMentions('@Kim Minji and @Kim', picked)).toBe('<@2> and <@1>')
  })
  it('finds the @query before the caret', () => {
    expect(mentionQuery('hello @mi')).toBe('mi')
    expect(mentionQuery('@')).toBe('')
    expect(mentionQuery('mail@example')).toBe(null)
  })
  it('renders mentions as @Name for previews', () => {
    expect(mentionsToText('thanks <@2>', (id) => (id === 2 ? '이민지' : '?'))).toBe('thanks @이민지')
  })
})
