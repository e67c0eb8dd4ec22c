import { useQuery, type UseQueryOptions } from '@tanstack/react-query'
import { learnServerNow } from '../lib/clock'
import { todayIn } from '../lib/cycle'
import { api, qs } from './client'
import { newestObjectives } from './versions'
import type {
  CheckIn,
  Cycle,
  CycleInList,
  Dashboard,
  Delivery,
  Feedback,
  HistoryEntry,
  KeyResult,
  KeyResultInList,
  Me,
  Message,
  Objective,
  Org,
  ReminderCalendar,
  SearchResults,
  SlackChannel,
  Team,
  User,
} from './types'

// One place for query keys, so live events can find what to update.
export const keys = {
  me: ['me'] as const,
  cycles: ['cycles'] as const,
  cycle: (id: string) => ['cycle', id] as const,
  teams: ['teams'] as const,
  users: ['users'] as const,
  objectives: (cycle: string, teamId?: number | null) => ['objectives', cycle, teamId ?? null] as const,
  objectivesAll: ['objectives'] as const,
  objective: (id: number) => ['objective', id] as const,
  history: (id: number) => ['history', id] as const,
  myKrs: (cycle: string) => ['my-krs', cycle] as const,
  kr: (id: number) => ['kr', id] as const,
  checkins: (krId: number) => ['checkins', krId] as const,
  dashboard: (cycle: string) => ['dashboard', cycle] as const,
  feedback: (params: Record<string, unknown>) => ['feedback', params] as const,
  messages: (subject: string) => ['messages', subject] as const,
  deliveries: (params: Record<string, unknown>) => ['deliveries', params] as const,
  slackChannels: ['slack-channels'] as const,
  org: ['org'] as const,
  reminders: ['reminders'] as const,
  search: (q: string) => ['search', q] as const,
  // Prefixes: invalidating one refreshes every query under it.
  dashboardAll: ['dashboard'] as const,
  feedbackAll: ['feedback'] as const,
  deliveriesAll: ['deliveries'] as const,
  myKrsAll: ['my-krs'] as const,
  cycleAll: ['cycle'] as const,
  checkinsAll: ['checkins'] as const,
  connectorsAll: ['connectors'] as const,
  connectorSources: ['connectors', 'sources'] as const,
  connectorSource: (id: number) => ['connectors', 'source', id] as const,
  connectorBinding: (krId: number) => ['connectors', 'binding', krId] as const,
  approvers: (id: number, status: string) => ['approvers', id, status] as const,
  calibration: (userId: number) => ['calibration', userId] as const,
  hints: (id: number, signature: string) => ['hints', id, signature] as const,
  devUsers: ['dev-users'] as const,
  meForSignIn: ['me', 'signin'] as const,
  signInMethods: ['sign-in-methods'] as const,
}

type Opts<T> = Omit<UseQueryOptions<T, Error, T, readonly unknown[]>, 'queryKey' | 'queryFn'>

async function fetchMe(): Promise<Me> {
  const sentAt = Date.now()
  const me = await api.get<Me>('/api/auth/me')
  learnServerNow(me.now, sentAt, Date.now())
  return me
}

export const useMe = (opts?: Opts<Me>) => useQuery({ queryKey: keys.me, queryFn: fetchMe, staleTime: 60_000, ...opts })

export const useCycles = () =>
  useQuery({ queryKey: keys.cycles, queryFn: () => api.get<CycleInList[]>('/api/okr/cycles'), staleTime: 5 * 60_000 })

/** `id` may be "current" or "next" as well as a cycle id. */
export const useCycle = (id: string | undefined) =>
  useQuery({
    queryKey: keys.cycle(id ?? ''),
    queryFn: () => api.get<Cycle>(`/api/okr/cycles/${encodeURIComponent(id ?? '')}`),
    enabled: !!id,
    staleTime: 5 * 60_000,
  })

export const useTeams = () =>
  useQuery({ queryKey: keys.teams, queryFn: () => api.get<Team[]>('/api/okr/teams'), staleTime: 60_000 })

export const useUsers = () =>
  useQuery({ queryKey: keys.users, queryFn: () => api.get<User[]>('/api/okr/users'), staleTime: 60_000 })

export const useObjectives = (cycle: string | undefined, teamId?: number | null, opts?: Opts<Objective[]>) =>
  useQuery({
    queryKey: keys.objectives(cycle ?? '', teamId),
    queryFn: () => api.get<Objective[]>(`/api/okr/objectives${qs({ cycle, team_id: teamId ?? undefined })}`),
    structuralSharing: newestObjectives,
    enabled: !!cycle,
    ...opts,
  })

export const useObjective = (id: number | undefined) =>
  useQuery({
    queryKey: keys.objective(id ?? 0),
    queryFn: () => api.get<Objective>(`/api/okr/objectives/${id}`),
    structuralSharing: newestObjectives,
    enabled: !!id,
  })

export const useObjectiveHistory = (id: number, enabled = true) =>
  useQuery({
    queryKey: keys.history(id),
    queryFn: () => api.get<HistoryEntry[]>(`/api/okr/objectives/${id}/history`),
    enabled,
  })

export const useMyKeyResults = (cycle: string | undefined) =>
  useQuery({
    queryKey: keys.myKrs(cycle ?? ''),
    queryFn: () => api.get<KeyResultInList[]>(`/api/okr/key-results${qs({ owner_id: 'me', cycle })}`),
    enabled: !!cycle,
  })

export const useKeyResult = (id: number | undefined) =>
  useQuery({
    queryKey: keys.kr(id ?? 0),
    queryFn: () => api.get<KeyResult>(`/api/okr/key-results/${id}`),
    enabled: !!id,
  })

export const useCheckIns = (krId: number, enabled = true) =>
  useQuery({
    queryKey: keys.checkins(krId),
    queryFn: () => api.get<CheckIn[]>(`/api/okr/key-results/${krId}/check-ins`),
    enabled,
  })

export const useDashboard = (cycle: string | undefined) =>
  useQuery({
    queryKey: keys.dashboard(cycle ?? ''),
    queryFn: () => api.get<Dashboard>(`/api/okr/dashboard${qs({ cycle })}`),
    enabled: !!cycle,
  })

export const useFeedback = (params: Record<string, string | number | undefined>, enabled = true) =>
  useQuery({
    queryKey: keys.feedback(params),
    queryFn: () => api.get<Feedback[]>(`/api/feedback/feedback${qs(params)}`),
    enabled,
  })

export const useMessages = (subject: string) =>
  useQuery({
    queryKey: keys.messages(subject),
    queryFn: () => api.get<Message[]>(`/api/feedback/threads/${encodeURIComponent(subject)}/messages${qs({ limit: 50 })}`),
  })

export const useDeliveries = (params: Record<string, string | number | undefined>, opts?: Opts<Delivery[]>) =>
  useQuery({
    queryKey: keys.deliveries(params),
    queryFn: () => api.get<Delivery[]>(`/api/notifier/deliveries${qs(params)}`),
    ...opts,
  })

/** Admins: the Slack channels a team's digest can go to (409 in record-only mode: type an id). */
export const useSlackChannels = (enabled: boolean) =>
  useQuery({
    queryKey: keys.slackChannels,
    queryFn: () => api.get<SlackChannel[]>('/api/notifier/slack/channels'),
    enabled,
    retry: false,
    staleTime: 60_000,
  })

const orgQuery = { queryKey: keys.org, queryFn: () => api.get<Org>('/api/okr/org') }

export const useOrg = () => useQuery(orgQuery)

/**
 * Today's date in the org's time zone. A quarter's days are the org's: the server counts them
 * so for the dashboard's expected progress and phase (`GET /cycles`' `today`); a person's own
 * zone is for when their reminders come. Until the org is loaded: the person's zone.
 */
export function useOrgToday(personTimezone?: string | null): string {
  const org = useQuery({ ...orgQuery, staleTime: 5 * 60_000 })
  return todayIn(org.data?.timezone ?? personTimezone)
}

export const useReminderCalendar = () =>
  useQuery({ queryKey: keys.reminders, queryFn: () => api.get<ReminderCalendar>('/api/scheduler/reminders') })

export const useSearch = (q: string) =>
  useQuery({
    queryKey: keys.search(q),
    queryFn: ({ signal }) => api.get<SearchResults>(`/api/okr/search${qs({ q })}`, { signal }),
    enabled: q.trim().length >= 1,
    staleTime: 10_000,
  })
