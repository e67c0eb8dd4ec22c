import type { KeyResult } from '../../api/types'
import type { AppState } from '../../state/app'

/** Who may connect a key result to data (contract §9): its owner, a lead of its team, an admin.
 * The server decides; this only hides a button that would answer 403. */
export function canBind(app: Pick<AppState, 'isAdmin' | 'me' | 'teamsById'>, kr: Pick<KeyResult, 'owner_id'>, teamId: number | undefined): boolean {
  if (app.isAdmin || kr.owner_id === app.me.user.id) return true
  if (teamId === undefined) return false
  if (app.me.teams.some((t) => t.id === teamId && t.role === 'lead')) return true
  return !!app.teamsById.get(teamId)?.members?.some((m) => m.user_id === app.me.user.id && m.role === 'lead')
}
