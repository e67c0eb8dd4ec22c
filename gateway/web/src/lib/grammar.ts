/**
 * Grammar that depends on the words filled in: Korean particles chosen by the last
 * syllable's final consonant (을/를, 이/가, 은/는, 과/와, 으로/로, 아/야, 이에요/예요),
 * English possessives ("Sales' OKRs", "Emma's"), and lists of names. The i18n templates use
 * `{title:을/를}` for a particle after a value (i18n/index.tsx). Notifier's Slack texts use the
 * same rule in Python (`boost_platform.grammar`).
 */

// Digits and Latin letters as read aloud in Korean: does the reading end in a final consonant (and is it ㄹ)?
const DIGIT_FINAL: Record<string, 'none' | 'rieul' | 'other'> = {
  '0': 'other', '1': 'rieul', '2': 'none', '3': 'other', '4': 'none', '5': 'none', '6': 'other', '7': 'rieul', '8': 'rieul', '9': 'none',
}
const LATIN_FINAL: Record<string, 'none' | 'rieul' | 'other'> = { l: 'rieul', r: 'rieul', m: 'other', n: 'other' }

/** The final consonant of the last pronounceable character: none, ㄹ, or another. */
export function finalSound(word: string): 'none' | 'rieul' | 'other' {
  const chars = [...word.trim()].reverse()
  for (const ch of chars) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0xac00 && code <= 0xd7a3) {
      const jong = (code - 0xac00) % 28
      return jong === 0 ? 'none' : jong === 8 ? 'rieul' : 'other'
    }
    if (ch in DIGIT_FINAL) return DIGIT_FINAL[ch]
    const lower = ch.toLowerCase()
    if (/[a-z]/.test(lower)) return LATIN_FINAL[lower] ?? 'none'
    // Quotes, brackets, punctuation: look at what is inside.
  }
  return 'none'
}

/** The particle of a pair (written "with/without final consonant", e.g. 을/를) that fits `word`. */
export function particle(word: string, pair: string): string {
  const [withFinal, withoutFinal] = pair.split('/')
  if (withoutFinal === undefined) return pair
  const sound = finalSound(word)
  if (withFinal === '으로') return sound === 'other' ? '으로' : '로'
  return sound === 'none' ? withoutFinal : withFinal
}

/** `word` followed by the right particle: josa('칭찬', '을/를') → '칭찬을'. */
export function josa(word: string, pair: string): string {
  return word + particle(word, pair)
}

/** English possessive: "Sales" → "Sales’", "Emma" → "Emma’s". */
export function possessive(name: string): string {
  return /s$/i.test(name.trim()) ? `${name}’` : `${name}’s`
}

/** "A", "A or B", "A, B or C" (Korean: "A, B 또는 C"). */
export function listNames(names: string[], locale: string, joiner: 'and' | 'or' = 'and'): string {
  const list = names.filter(Boolean)
  if (list.length <= 1) return list[0] ?? ''
  const word = locale === 'ko' ? (joiner === 'or' ? '또는' : '및') : joiner
  return `${list.slice(0, -1).join(', ')} ${word} ${list[list.length - 1]}`
}
