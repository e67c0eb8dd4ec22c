import type { Delivery } from '../../api/types'
import type { SlackBlock } from '../../components/slackText'

/** The first deep link into Boost found in a Slack message's buttons. */
export function deliveryLink(blocks: Delivery['blocks']): string | null {
  for (const b of blocks as unknown as SlackBlock[]) {
    const urls = [...(b.elements ?? []).map((e) => e.url), b.accessory?.url]
    for (const u of urls) {
      if (!u) continue
      try {
        const url = new URL(u, window.location.origin)
        if (url.pathname.startsWith('/api/')) continue
        return url.pathname + url.search + url.hash
      } catch {
        /* not a URL */
      }
    }
  }
  return null
}
