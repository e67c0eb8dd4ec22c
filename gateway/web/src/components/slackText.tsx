import { Fragment, type ReactNode } from 'react'
import { Link } from 'react-router'
import type { Delivery } from '../api/types'

/** The parts of Slack's Block Kit that the renderer shows (the delivery log keeps blocks as Slack got them). */
export interface SlackBlock {
  type: string
  text?: { type: string; text: string }
  fields?: { type: string; text: string }[]
  elements?: {
    type: string
    text?: { type: string; text: string } | string
    url?: string
    style?: string
    action_id?: string
  }[]
  accessory?: { type: string; text?: { type: string; text: string }; url?: string }
}

/**
 * Slack mrkdwn to plain text (for previews): `<url|label>` → label, `<@U1>` → @U1,
 * `<!here>` → @here, `*bold*` → bold. Nothing here ever becomes HTML.
 */
export function renderSlackText(text: string | null | undefined, max?: number): string {
  let s = (text ?? '')
    .replace(/<(https?:\/\/|\/)[^|>]*\|([^>]+)>/g, '$2')
    .replace(/<((?:https?:\/\/|\/)[^>]+)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<!(\w+)>/g, '@$1')
    .replace(/(^|\s)\*([^*\n]+)\*(?=\s|$|[.,!?])/g, '$1$2')
    .replace(/(^|\s)_([^_\n]+)_(?=\s|$|[.,!?])/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
  if (max && s.length > max) s = `${s.slice(0, max - 1)}…`
  return s
}

/** A link target that stays inside Boost when it points at Boost, else an external link. */
function SlackLink({ url, children }: { url: string; children: ReactNode }) {
  try {
    const u = new URL(url, window.location.origin)
    if (u.origin === window.location.origin || url.startsWith('/')) {
      return <Link to={u.pathname + u.search + u.hash}>{children}</Link>
    }
    if (u.protocol === 'https:' || u.protocol === 'http:') {
      return (
        <a href={u.href} target="_blank" rel="noreferrer noopener">
          {children}
        </a>
      )
    }
  } catch {
    /* fall through */
  }
  return <>{children}</>
}

/** mrkdwn rendered as React text nodes: bold and links, nothing else. */
export function Mrkdwn({ text }: { text: string }) {
  const parts: ReactNode[] = []
  const re = /<((?:https?:\/\/|\/)[^|>]+)(?:\|([^>]+))?>|\*([^*\n]+)\*/g
  let last = 0
  let i = 0
  const clean = (s: string) => renderSlackText(s)
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(<Fragment key={i++}>{clean(text.slice(last, m.index))}</Fragment>)
    if (m[1]) parts.push(<SlackLink key={i++} url={m[1]}>{m[2] ?? m[1]}</SlackLink>)
    else parts.push(<strong key={i++}>{m[3]}</strong>)
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(<Fragment key={i++}>{clean(text.slice(last))}</Fragment>)
  return <>{parts}</>
}

const textOf = (t: SlackBlock['text'] | string | undefined): string => (typeof t === 'string' ? t : t?.text ?? '')

/** A Slack message as Slack would show it: sections, fields, context, buttons. */
export function SlackBlocks({ blocks: raw, fallback }: { blocks: Delivery['blocks']; fallback: string }) {
  const blocks = raw as unknown as SlackBlock[]
  if (!blocks.length) {
    return (
      <div className="slack__section">
        <Mrkdwn text={fallback} />
      </div>
    )
  }
  return (
    <>
      {blocks.map((b, i) => {
        switch (b.type) {
          case 'header':
            return (
              <p key={i} className="slack__header">
                {renderSlackText(textOf(b.text))}
              </p>
            )
          case 'divider':
            return <hr key={i} className="slack__divider" />
          case 'context':
            return (
              <p key={i} className="slack__context">
                {(b.elements ?? []).map((e, j) => (
                  <Fragment key={j}>
                    {j > 0 && ' · '}
                    <Mrkdwn text={textOf(e.text)} />
                  </Fragment>
                ))}
              </p>
            )
          case 'actions':
            return (
              <div key={i} className="slack__actions">
                {(b.elements ?? []).map((e, j) => {
                  const label = renderSlackText(textOf(e.text)) || e.action_id || 'Button'
                  const cls = `slack__btn${e.style === 'primary' ? ' slack__btn--primary' : e.style === 'danger' ? ' slack__btn--danger' : ''}`
                  return e.url ? (
                    <span key={j} className={cls}>
                      <SlackLink url={e.url}>{label}</SlackLink>
                    </span>
                  ) : (
                    <span key={j} className={cls} aria-disabled="true">
                      {label}
                    </span>
                  )
                })}
              </div>
            )
          default:
            return (
              <div key={i} className="slack__section">
                {b.text && (
                  <div>
                    <Mrkdwn text={textOf(b.text)} />
                  </div>
                )}
                {b.fields && (
                  <div className="slack__fields">
                    {b.fields.map((f, j) => (
                      <div key={j}>
                        <Mrkdwn text={f.text} />
                      </div>
                    ))}
                  </div>
                )}
                {b.accessory?.url && (
                  <span className="slack__btn">
                    <SlackLink url={b.accessory.url}>{renderSlackText(textOf(b.accessory.text))}</SlackLink>
                  </span>
                )}
              </div>
            )
        }
      })}
    </>
  )
}
