/**
 * The server's clock, as this browser can tell it. "3 minutes ago", today's date and the
 * 24-hour correction window count from the server's now, not the browser's: the two differ
 * when the server runs on a demo or test clock (BOOST_NOW) or this computer's clock is off.
 * `/api/auth/me`, which every page loads first, carries the server's `now`.
 */

let offsetMs = 0

/** The server's clock minus the browser's, from a server time read between `sentAt` and `receivedAt`. */
export function offsetFrom(serverIso: string, sentAt: number, receivedAt: number): number | null {
  const server = Date.parse(serverIso)
  if (Number.isNaN(server) || receivedAt < sentAt) return null
  // The server read its clock somewhere during the round trip: assume the middle.
  return Math.round(server - (sentAt + receivedAt) / 2)
}

/** Remember the server's clock, as read during one request. */
export function learnServerNow(serverIso: string, sentAt: number, receivedAt: number): void {
  const offset = offsetFrom(serverIso, sentAt, receivedAt)
  if (offset !== null) offsetMs = offset
}

/** The server's now, in milliseconds since the epoch. */
export function serverNow(browserNow: number = Date.now()): number {
  return browserNow + offsetMs
}
