import { keys } from '../../api/queries'
import { useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { Objective } from '../../api/types'
import { useI18n } from '../../i18n'
import { listNames } from '../../lib/grammar'
import { useApp } from '../../state/app'

export interface Approvers {
  objective_id: number
  approvers: number[]
  parent_team_id: number | null
  by: 'parent_leads' | 'admins'
}

/** Who may approve a submitted objective, as the server rules it (okr `approvers_for`). */
export function useApprovers(obj: Pick<Objective, 'id' | 'status'>) {
  return useQuery({
    queryKey: keys.approvers(obj.id, obj.status),
    queryFn: () => api.get<Approvers>(`/api/okr/objectives/${obj.id}/approvers`),
    enabled: obj.status === 'submitted',
    staleTime: 30_000,
  })
}

/** I may approve it: the server's list names me. */
export function useCanApprove(obj: Pick<Objective, 'id' | 'status'>): boolean {
  const { me } = useApp()
  const q = useApprovers(obj)
  return obj.status === 'submitted' && !!q.data?.approvers.includes(me.user.id)
}

/** "Waiting for approval by 김하늘 or Admin" on a submitted card, and, to someone who might
 * expect an Approve button, why there is none. */
export function ApprovalNote({ obj }: { obj: Pick<Objective, 'id' | 'status' | 'team_id' | 'owner_id'> }) {
  const { t, locale } = useI18n()
  const app = useApp()
  const q = useApprovers(obj)
  if (obj.status !== 'submitted' || !q.data) return null
  const me = app.me.user.id
  if (q.data.approvers.includes(me)) return null
  const names = listNames(q.data.approvers.map((id) => app.userName(id)), locale, 'or')
  const team = app.teamsById.get(obj.team_id)?.name ?? ''
  const parent = q.data.parent_team_id ? app.teamsById.get(q.data.parent_team_id)?.name ?? '' : ''
  const iLead = app.teamsById.get(obj.team_id)?.members?.some((m) => m.user_id === me && m.role === 'lead')
  let why: string | null = null
  if (obj.owner_id === me) why = t('approval.why_owner')
  else if (iLead && q.data.by === 'parent_leads') why = t('approval.why_lead', { team, parent })
  else if (q.data.by === 'admins' && app.canEditTeam(obj.team_id)) why = t('approval.why_root')
  return (
    <span className="muted small" data-testid={`approvers-${obj.id}`}>
      {names ? t('approval.waiting_for', { names }) : t('draft.waiting_approval')}
      {why && <span className="approval__why"> {why}</span>}
    </span>
  )
}
