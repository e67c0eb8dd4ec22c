import { keys } from '../../api/queries'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { Hint, Objective } from '../../api/types'
import type { MessageKey } from '../../i18n'

/** What the hints depend on: the objective's key results as the page has them. Live events
 * patch the objective in the query cache, so a teammate's typing changes this and the
 * hints are fetched again. */
export function hintSignature(obj: Objective): string {
  return JSON.stringify(
    obj.key_results.filter((k) => !k.deleted).map((k) => [k.id, k.title, k.kind, k.start, k.target, k.last_check_in_at !== null]),
  )
}

export const useHints = (obj: Objective) =>
  useQuery({
    queryKey: keys.hints(obj.id, hintSignature(obj)),
    queryFn: ({ signal }) => api.get<Hint[]>(`/api/okr/objectives/${obj.id}/hints`, { signal }),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  })

export const HINT_KEY: Record<Hint['code'], MessageKey> = {
  no_key_results: 'hints.no_key_results',
  too_many_key_results: 'hints.too_many_key_results',
  start_equals_target: 'hints.start_equals_target',
  all_boolean: 'hints.all_boolean',
  task_like: 'hints.task_like',
  no_baseline: 'hints.no_baseline',
}
