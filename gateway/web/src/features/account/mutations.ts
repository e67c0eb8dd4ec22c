// A person's own writes (and an admin's changes to people) through useMutation.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { DevLogin, UserPatch } from '../../api/bodies'
import { api } from '../../api/client'
import { keys } from '../../api/queries'
import type { User } from '../../api/types'

/**
 * Change a person (my settings, my language, an admin's role or active switch). Settled either
 * way, the people and "me" are fetched again: after a 409 the page shows someone else's value.
 */
export function useUpdateUser() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: UserPatch }) => api.patch<User>(`/api/okr/users/${id}`, body),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: keys.me }), qc.invalidateQueries({ queryKey: keys.users })]),
  })
}

/** Development sign-in as a listed person; every cached answer was someone else's. */
export function useDevLogin() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (email: string) => api.post<void>('/api/auth/dev-login', { email } satisfies DevLogin, { allowAnonymous: true }),
    onSuccess: () => qc.invalidateQueries(),
  })
}

/** Sign out: the caches are cleared whether or not the server answered (signed out either way). */
export function useSignOut() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api.post<void>('/api/auth/logout'),
    onSettled: () => qc.clear(),
  })
}
