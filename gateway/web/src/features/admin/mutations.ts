// The admin pages' writes through useMutation. Each refreshes what it changed (the one key
// factory, api/queries `keys`) before it counts as done, so busy buttons stay busy until the
// page shows the result; a 409 refreshes too (the page then shows the other person's value).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { MemberRole, OrgPatch, TeamCreate, TeamPatch, UserCreate } from '../../api/bodies'
import { api } from '../../api/client'
import { keys } from '../../api/queries'
import type { Org, Team, User } from '../../api/types'

const CSV = { 'Content-Type': 'text/csv' }

export function useAddPerson() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: UserCreate) => api.post<User>('/api/okr/users', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.users }),
  })
}

export function useAddTeam() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: TeamCreate) => api.post<Team>('/api/okr/teams', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.teams }),
  })
}

function useTeamWrite<V, T>(write: (vars: V) => Promise<T>, refreshOnError = true) {
  const qc = useQueryClient()
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: keys.teams }), qc.invalidateQueries({ queryKey: keys.me })])
  return useMutation({
    mutationFn: write,
    onSuccess: refresh,
    onError: () => (refreshOnError ? refresh() : undefined),
  })
}

export const useSetMemberRole = () =>
  useTeamWrite(({ teamId, userId, body }: { teamId: number; userId: number; body: MemberRole }) =>
    api.put<Team>(`/api/okr/teams/${teamId}/members/${userId}`, body),
  )

export const useRemoveMember = () =>
  useTeamWrite(({ teamId, userId }: { teamId: number; userId: number }) => api.del<void>(`/api/okr/teams/${teamId}/members/${userId}`), false)

export const useUpdateTeam = () => useTeamWrite(({ id, body }: { id: number; body: TeamPatch }) => api.patch<Team>(`/api/okr/teams/${id}`, body))

export interface ImportChange {
  row: number | null
  action: 'create_user' | 'update_user' | 'create_team' | 'add_member' | 'change_team_role'
  email?: string | null
  team?: string | null
  detail: string
}

/** People and teams from a CSV: a dry run previews the changes; the real run refreshes both lists. */
export function useImportPeople() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ text, dryRun }: { text: string; dryRun: boolean }) =>
      api.post<{ changes?: ImportChange[] }>(`/api/okr/import${dryRun ? '?dry_run=true' : ''}`, undefined, { rawBody: text, headers: CSV }),
    onSuccess: (_out, { dryRun }) =>
      dryRun ? undefined : Promise.all([qc.invalidateQueries({ queryKey: keys.users }), qc.invalidateQueries({ queryKey: keys.teams })]),
  })
}

/** Back-filled check-ins from a CSV: objectives, check-ins and the dashboard are fetched again. */
export function useImportCheckIns() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (text: string) => api.post<{ rows: number; key_results: number }>('/api/okr/check-ins/import', undefined, { rawBody: text, headers: CSV }),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: keys.objectivesAll }),
        qc.invalidateQueries({ queryKey: keys.checkinsAll }),
        qc.invalidateQueries({ queryKey: keys.dashboardAll }),
      ]),
  })
}

export function useDirectorySync() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api.post<Record<string, unknown>>('/api/notifier/directory/sync'),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.users }),
  })
}

/** Save the org's settings; `onSaved` sees the answer before the org is fetched again. */
export function useSaveOrg(onSaved?: (org: Org) => void) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: OrgPatch) => api.patch<Org>('/api/okr/org', body),
    onSuccess: (saved) => {
      onSaved?.(saved)
      return Promise.all([
        qc.invalidateQueries({ queryKey: keys.org }),
        qc.invalidateQueries({ queryKey: keys.reminders }),
        qc.invalidateQueries({ queryKey: keys.cycleAll }),
        qc.invalidateQueries({ queryKey: keys.cycles }),
      ])
    },
  })
}

/** Run a reminder now (the scheduler's manual run); its deliveries show in the lists. */
export function useRunReminder() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (kind: string) => api.post<unknown>(`/api/scheduler/reminders/${kind}/run`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.deliveriesAll })
      void qc.invalidateQueries({ queryKey: keys.reminders })
    },
  })
}
