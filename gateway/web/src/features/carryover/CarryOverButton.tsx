import { useNavigate } from 'react-router'
import type { Objective } from '../../api/types'
import { useObjectiveAction } from '../../api/mutations'
import { toast, toastError } from '../../components/Toasts'
import { useI18n } from '../../i18n'
import { nextCycleId } from '../../lib/cycle'

/** "Carry over to {next cycle}" (`carry-over-{id}`, §9): the next cycle's draft with the
 * unfinished key results, each starting where it ended; the new draft links back. `before`
 * runs first (the close dialog closes with the chosen score and note); without it the
 * server closes an open objective with the suggested score. */
export function CarryOverButton({
  obj,
  before,
  primary = false,
  disabled = false,
  onDone,
}: {
  obj: Objective
  before?: () => Promise<void>
  primary?: boolean
  disabled?: boolean
  onDone?: () => void
}) {
  const { t } = useI18n()
  const carryOver = useObjectiveAction()
  const navigate = useNavigate()
  const next = nextCycleId(obj.cycle)
  const run = async () => {
    try {
      if (before) await before()
      const out = await carryOver.mutateAsync({ id: obj.id, action: 'carry-over' })
      toast({ text: t('objective.carried_to', { cycle: next }), tone: 'success' })
      onDone?.()
      if (out?.id) navigate(`/objectives/${out.id}`)
    } catch (err) {
      toastError(err, t('draft.action_failed'))
    }
  }
  return (
    <button type="button" className={`btn${primary ? ' btn--primary' : ''}`} disabled={disabled} data-testid={`carry-over-${obj.id}`} onClick={() => void run()}>
      {t('objective.carry_over_to', { cycle: next })}
    </button>
  )
}
