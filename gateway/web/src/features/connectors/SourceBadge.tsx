import type { KeyResult } from '../../api/types'
import { useI18n } from '../../i18n'
import { useConnectorText } from './i18n'

/** A data-fed key result's source: its kind, state and when data was last looked at (`kr-source-{id}`). */
export function SourceBadge({ kr, showIds = true }: { kr: Pick<KeyResult, 'id' | 'source'>; showIds?: boolean }) {
  const tc = useConnectorText()
  const { fmt } = useI18n()
  const source = kr.source
  if (!source) return null
  const state = source.state ?? 'ok'
  const kind = tc(`kind.${source.kind}` as Parameters<typeof tc>[0])
  const when =
    state === 'failing' && source.failing_since
      ? tc('badge.failing_since', { when: fmt.relative(source.failing_since) })
      : source.last_run_at
        ? tc('badge.last_run', { when: fmt.relative(source.last_run_at) })
        : tc('badge.never')
  const label = `${tc('badge.title', { kind, state: tc(`state.${state}`) })} — ${when}`
  return (
    <span
      className={`flag source-badge source-badge--${state}`}
      data-testid={showIds ? `kr-source-${kr.id}` : undefined}
      data-state={state}
      title={label}
      aria-label={label}
      tabIndex={0}
    >
      <span className="source-badge__dot" aria-hidden="true" />
      {kind} · {tc(`state.${state}`)}
    </span>
  )
}
