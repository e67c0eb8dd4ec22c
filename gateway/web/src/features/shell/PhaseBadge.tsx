import type { CycleDates } from '../../api/types'
import { useI18n, type MessageKey } from '../../i18n'
import { useOrgToday } from '../../api/queries'
import { daysLeft, phaseOn, type Phase } from '../../lib/cycle'

export const PHASE_KEY: Record<Phase, MessageKey> = {
  drafting: 'phase.drafting',
  approval_due: 'phase.approval_due',
  in_progress: 'phase.in_progress',
  review: 'phase.review',
  retro: 'phase.retro',
  upcoming: 'phase.upcoming',
  ended: 'phase.ended',
}

export function PhaseBadge({ cycle, timezone }: { cycle: CycleDates; timezone?: string | null }) {
  const { t } = useI18n()
  const today = useOrgToday(timezone)
  const phase = phaseOn(cycle, today)
  const left = daysLeft(cycle, today, phase)
  return (
    <span className={`phase phase--${phase}`}>
      {t(PHASE_KEY[phase])}
      {left !== null && left >= 0 && <> · {t(phase === 'upcoming' ? 'phase.starts_in' : 'phase.days_left', { n: left })}</>}
    </span>
  )
}
