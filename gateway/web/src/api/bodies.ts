// Request bodies, as the services declare them (generated from their OpenAPI
// documents by `npm run gen:api`). Call sites use `satisfies` so a body that
// drifts from the server's schema fails the type check.
import type { components as Feedback } from './schema/feedback'
import type { components as Okr } from './schema/okr'

type S = Okr['schemas']
type F = Feedback['schemas']

export type ObjectiveCreate = S['ObjectiveCreate']
export type ObjectivePatch = S['ObjectivePatch']
export type KeyResultCreate = S['KeyResultCreate']
export type KeyResultPatch = S['KeyResultPatch']
export type CheckInCreate = S['CheckInCreate']
export type CheckInPatch = S['CheckInPatch']
export type Close = S['Close']
export type RequestChanges = S['RequestChanges']
export type UserCreate = S['UserCreate']
export type UserPatch = S['UserPatch']
export type TeamCreate = S['TeamCreate']
export type TeamPatch = S['TeamPatch']
export type MemberRole = S['MemberRole']
export type OrgPatch = S['OrgPatch']
export type DevLogin = S['DevLogin']
export type FeedbackCreate = F['FeedbackCreate']
export type FeedbackPatch = F['FeedbackPatch']
export type MessageIn = F['MessageIn']
