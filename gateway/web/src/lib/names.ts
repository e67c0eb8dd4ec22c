/** What an avatar shows when there is no picture. A Korean name shows its given name, as
 * Korean products do (박지우 → 지우, 김하늘 (Haneul Kim) → 하늘; a two-syllable name whole);
 * other names their first and last initials (Emma Lee → EL). */
export function initials(name: string): string {
  const hangul = name.match(/[\uac00-\ud7a3]+/)
  if (hangul) {
    const word = hangul[0]
    return word.length >= 3 ? word.slice(-2) : word
  }
  const parts = name.trim().split(/\s+/).filter(Boolean)
  if (!parts.length) return '?'
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase()
}
