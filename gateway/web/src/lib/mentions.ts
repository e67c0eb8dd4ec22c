/** Chat bodies are plain text with mentions written `<@user_id>` (contract §3). */
export type Piece = { type: 'text'; text: string } | { type: 'mention'; id: number }

export function splitMentions(body: string): Piece[] {
  const out: Piece[] = []
  const re = /<@(\d+)>/g
  let last = 0
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m.index > last) out.push({ type: 'text', text: body.slice(last, m.index) })
    out.push({ type: 'mention', id: Number(m[1]) })
    last = m.index + m[0].length
  }
  if (last < body.length) out.push({ type: 'text', text: body.slice(last) })
  return out
}

/** Turn the "@Name" people picked from the autocomplete into `<@id>`, longest names first. */
export function encodeMentions(text: string, picked: Map<string, number>): string {
  const names = [...picked.keys()].sort((a, b) => b.length - a.length)
  let out = text
  for (const name of names) {
    out = out.split(`@${name}`).join(`<@${picked.get(name)}>`)
  }
  return out
}

/** The "@query" being typed just before the caret, if any. */
export function mentionQuery(textBeforeCaret: string): string | null {
  const m = /(?:^|\s)@([^\s@<>]{0,30})$/.exec(textBeforeCaret)
  return m ? m[1] : null
}

/** Readable text of a body, for previews and notifications: mentions become "@Name". */
export function mentionsToText(body: string, name: (id: number) => string): string {
  return splitMentions(body)
    .map((p) => (p.type === 'text' ? p.text : `@${name(p.id)}`))
    .join('')
}
