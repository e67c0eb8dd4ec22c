// The public contract's JSON shapes (ARCHITECTURE.md §2–§4), snake_case as sent.
// Written from the contract; fields the server may leave out are optional.

export type Role = 'admin' | 'member'
export type TeamRole = 'member' | 'lead'
export type Locale = 'ko' | 'en'
export type ObjectiveStatus = 'draft' | 'submitted' | 'approved' | 'changes_requested' | 'closed'
export type KrKind = 'number' | 'percent' | 'boolean' | 'milestone'
export type Health = 'on_track' | 'at_risk' | 'off_track' | 'unknown'
export type FeedbackKind = 'praise' | 'suggestion' | 'question' | 'retro'
export type DeliveryStatus = 'recorded' | 'scheduled' | 'sending' | 'sent' | 'failed' | 'unknown'

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

export interface User {
  id: number
  email: string
  name: string
  avatar_url?: string | null
  slack_user_id?: string | null
  role: Role
  active?: boolean
  locale?: Locale | null
  timezone?: string | null
  muted_reminders?: string[]
}

export interface MyTeam {
  id: number
  name: string
  role: TeamRole
}

export interface Me {
  user: User
  teams: MyTeam[]
}

export interface Membership {
  user_id: number
  role: TeamRole
}

export interface Team {
  id: number
  name: string
  parent_id: number | null
  slack_channel_id?: string | null
  members: Membership[]
}

export interface DateRange {
  start: string
  end: string
}

export interface Cycle {
  id: string
  start: string
  end: string
  phases: {
    drafting: DateRange
    approval_due: string
    in_progress: DateRange
    review: string
    retro: DateRange
  }
}

export interface Review {
  by?: number | null
  at?: string | null
  comment?: string | null
}

export interface MilestoneItem {
  id: number
  title: string
  done: boolean
}

export interface KeyResult {
  id: number
  objective_id: number
  title: string
  owner_id: number
  kind: KrKind
  start: number
  target: number
  current: number
  unit: string
  weight: number
  confidence: number | null
  last_check_in_at: string | null
  version: number
  progress: number
  health: Health
  behind: boolean
  stale: boolean
  items?: MilestoneItem[]
  deleted?: boolean
  // Present on some list endpoints: dashboard lists (objective_title), my key results (objective).
  objective_title?: string
  objective?: { id: number; title: string; cycle: string; team_id: number; status: ObjectiveStatus }
  cycle?: string
  team_id?: number
}

export interface Objective {
  id: number
  cycle: string
  team_id: number
  owner_id: number
  parent_id: number | null
  title: string
  description: string
  status: ObjectiveStatus
  review: Review | null
  version: number
  progress: number
  expected_progress: number
  health: Health
  score: number | null
  closing_note: string | null
  carried_from_id: number | null
  needs_closing?: boolean
  deleted?: boolean
  key_results: KeyResult[]
}

export interface CheckIn {
  id: number
  key_result_id: number
  value: number
  confidence: number | null
  note: string | null
  author_id: number
  created_at: string
}

export interface HistoryEntry {
  id?: number
  at: string
  actor_id?: number | string | null
  actor?: string | null
  entity?: string
  entity_id?: number
  action?: string
  fields?: Record<string, { before: unknown; after: unknown }> | string[]
  changes?: Record<string, { before: unknown; after: unknown }> | { field: string; before: unknown; after: unknown }[]
}

export interface DashboardTeam {
  id: number
  name: string
  progress: number
  objectives: { id: number; title: string; status: ObjectiveStatus; progress: number; health: Health }[]
}

export interface TreeNode {
  objective_id: number
  title?: string
  progress?: number
  health?: Health
  children: TreeNode[]
}

export interface Dashboard {
  cycle: string
  company: { progress: number; expected_progress: number }
  teams: DashboardTeam[]
  counts: { by_status: Partial<Record<ObjectiveStatus, number>>; by_health: Partial<Record<Health, number>> }
  at_risk: KeyResult[]
  behind: KeyResult[]
  stale: KeyResult[]
  tree: TreeNode[]
  history: { date: string; progress: number; expected: number }[]
}

export interface SearchResults {
  objectives: Pick<Objective, 'id' | 'title' | 'cycle' | 'team_id'>[]
  key_results: Pick<KeyResult, 'id' | 'title' | 'objective_id'>[]
  users: Pick<User, 'id' | 'name' | 'email' | 'avatar_url'>[]
  teams: Pick<Team, 'id' | 'name'>[]
}

export interface Message {
  id: number
  subject: string
  author_id: number
  body: string
  mentions: number[]
  created_at: string
  edited_at: string | null
  deleted: boolean
}

export interface Feedback {
  id: number
  cycle: string | null
  objective_id: number | null
  key_result_id: number | null
  to_user_id: number | null
  to_team_id: number | null
  team_id?: number | null
  kind: FeedbackKind
  body: string
  author_id: number
  resolved: boolean
  created_at: string
  went_well?: string | null
  to_improve?: string | null
  score?: number | null
}

export interface SlackBlock {
  type: string
  text?: { type: string; text: string }
  fields?: { type: string; text: string }[]
  elements?: {
    type: string
    text?: { type: string; text: string } | string
    url?: string
    style?: string
    action_id?: string
  }[]
  accessory?: { type: string; text?: { type: string; text: string }; url?: string }
}

export interface Delivery {
  id: number
  key: string
  kind: string
  user_id: number | null
  channel?: string | null
  status: DeliveryStatus
  text: string
  blocks?: SlackBlock[] | null
  created_at: string
  scheduled_for?: string | null
  sent_at?: string | null
  error?: string | null
}

export interface ReminderOverride {
  enabled: boolean
  weekday?: number | null
  time?: string | null
}

export interface Org {
  name: string
  timezone: string
  fiscal_year_start_month: number
  holidays: string[]
  reminders: Partial<Record<ReminderKind, ReminderOverride>>
}

export interface ReminderCalendarEntry {
  kind: string
  enabled?: boolean
  weekday?: number | null
  time?: string | null
  next_run?: string | null
  next_run_at?: string | null
  local_time?: string | null
}

export interface Problem {
  type?: string
  title?: string
  status: number
  detail?: string
  errors?: { loc?: (string | number)[]; msg?: string; field?: string; row?: number; detail?: string }[]
  current?: Record<string, unknown>
}

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
