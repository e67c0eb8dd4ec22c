import { afterEach, describe, expect, it } from 'vitest'
import { makeFormatters } from '../i18n'
import { learnServerNow, offsetFrom, serverNow } from './clock'
import { todayIn } from './cycle'

const browser = Date.parse('2026-11-27T12:00:00Z')

describe('the server clock (relative times count from the server, e.g. a BOOST_NOW demo)', () => {
  afterEach(() => learnServerNow(new Date(browser).toISOString(), browser, browser))

  it('takes the offset at the middle of the round trip', () => {
    // sent at T, answered at T+200 ms; the server read 2027-02-20T01:00:00Z meanwhile
    const server = '2027-02-20T01:00:00Z'
    expect(offsetFrom(server, browser, browser + 200)).toBe(Date.parse(server) - (browser + 100))
  })

  it('ignores what is not a time, and an answer before its request', () => {
    expect(offsetFrom('soon', browser, browser + 10)).toBeNull()
    expect(offsetFrom('2027-02-20T01:00:00Z', browser + 10, browser)).toBeNull()
    learnServerNow('2027-02-20T01:00:00Z', browser, browser)
    learnServerNow('not a time', browser, browser)
    expect(serverNow(browser)).toBe(Date.parse('2027-02-20T01:00:00Z'))
  })

  it('says "3 minutes ago" for a check-in 3 minutes before the server\'s now, whatever the browser\'s clock', () => {
    const sent = Date.now()
    learnServerNow('2027-02-20T01:00:00Z', sent, sent)
    const fmt = makeFormatters('en')
    expect(fmt.relative('2027-02-20T00:57:00Z')).toBe('3 minutes ago')
    expect(fmt.relative('2027-02-19T01:00:00Z')).toBe('yesterday')
    expect(makeFormatters('ko').relative('2027-02-20T00:57:00Z')).toBe('3분 전')
  })

  it('keeps running at the browser\'s pace after it learned the offset', () => {
    learnServerNow('2027-02-20T01:00:00Z', browser, browser)
    expect(serverNow(browser + 90_000)).toBe(Date.parse('2027-02-20T01:01:30Z'))
  })

  it('puts "today" on the server\'s date in the person\'s timezone', () => {
    const sent = Date.now()
    learnServerNow('2027-02-20T16:00:00Z', sent, sent) // 01:00 on the 21st in Seoul
    expect(todayIn('Asia/Seoul')).toBe('2027-02-21')
    expect(todayIn('America/New_York')).toBe('2027-02-20')
  })
})
