// The JSON shapes the services answer: aliases of the types generated from their OpenAPI
// documents (`npm run gen:api` → schema/*.ts), so a changed response model shows up here as
// a type error. Only the socket contract (§4) and a few UI-side types are written by hand.
import type { components as FeedbackApi } from './schema/feedback'
import type { components as NotifierApi } from './schema/notifier'
import type { components as OkrApi } from './schema/okr'
import type { components as SchedulerApi } from './schema/scheduler'

type S = OkrApi['schemas']
type F = FeedbackApi['schemas']
type N = NotifierApi['schemas']
type R = SchedulerApi['schemas']

export type Role = S['User']['role']
export type TeamRole = S['Membership']['role']
export type Locale = NonNullable<S['User']['locale']>
export type ObjectiveStatus = S['Objective']['status']
export type KrKind = S['KeyResult']['kind']
export type Health = S['KeyResult']['health']
export type FeedbackKind = F['Feedback']['kind']

export const REMINDER_KINDS = [
  'drafting_open',
  'approval_due',
  'approval_requested',
  'approval_decided',
  'weekly_check_in',
  'review_mid_quarter',
  'retro_open',
  'feedback_received',
  'mentioned',
  'team_digest',
] as const
export type ReminderKind = (typeof REMINDER_KINDS)[number]

export type User = S['User']
/** The signed-in person, their teams, and the server's clock (`now`). */
export type Me = S['Me']
export type Team = S['Team']
/** One cycle, with the phase today is in and today's date in the org's timezone. */
export type Cycle = S['Cycle']
/** A cycle of `GET /cycles`: `current` instead of `today`. */
export type CycleInList = S['CycleInList']
/** What every cycle shape carries: its dates and phases. */
export type CycleDates = Pick<Cycle, 'id' | 'start' | 'end' | 'phases'>
export type KeyResult = S['KeyResult']
/** `GET /key-results` (my key results): each with its objective. */
export type KeyResultInList = S['KeyResultInList']
export type Objective = S['Objective']
export type CheckIn = S['CheckIn']
/** `POST /key-results/{id}/check-ins`: the check-in and the key result it moved. */
export type CheckInRecorded = S['CheckInRecorded']
export type HistoryEntry = S['HistoryEntry']
/** A key result in the dashboard's at-risk, behind and stale lists. */
export type AttentionKeyResult = S['AttentionKeyResult']
export type TreeNode = S['TreeNode']
export type Dashboard = S['Dashboard']
export type SearchResults = S['SearchResults']
export type Org = S['Org']
export type ReminderOverride = S['ReminderSetting']
export type Message = F['Message']
export type Feedback = F['Feedback']
/** A Slack message sent or recorded (the bell, the Slack messages page); `blocks` are Slack's Block Kit. */
export type Delivery = N['Delivery']
/** A Slack channel a team's digest may go to (admins pick it from Slack's list). */
export type SlackChannel = N['SlackChannel']
export type DeliveryStatus = Delivery['status']
/** The scheduler's reminder calendar: each kind's rule and next run. */
export type ReminderCalendar = R['ReminderCalendar']

/** An RFC 9457 problem: every error answer of every service (status 0: no network). */
export type Problem = S['Problem']

/** A drafting hint beside an objective (§9): never blocks. */
export type Hint = S['Hint']
/** A past quarter of a person's key results: mid-quarter confidence beside what was reached (§9). */
export type CalibrationCycle = S['CalibrationCycle']

// Socket.IO (contract §4)
export interface Envelope<T = Record<string, unknown>> {
  id: string
  type: string
  source: string
  occurred_at?: string
  actor_id: number | string | null
  op_id: string | null
  subject_id: number | string | null
  version: number | null
  scope: { cycle?: string | null; team_id?: number | null; objective_id?: number | null; thread?: string | null }
  changes: string[]
  data: T
}

export interface PresenceUser {
  id: number
  name: string
  field: string | null
}

export interface EditAck {
  ok: boolean
  version?: number
  value?: Record<string, unknown>
  error?: string | { status?: number; title?: string; detail?: string }
  status?: number
  current?: Record<string, unknown>
}
