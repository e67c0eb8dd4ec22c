"""What okr's REST routes answer (contract §2), for the OpenAPI document that the web app's
types are generated from, and for FastAPI's check of every answer.

The entity shapes are the event catalogue's (`boost_contracts.events`) plus what REST adds
(an objective's key results, `needs_closing`, a PATCH's `merged` text…)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from boost_contracts import events
from boost_contracts.events import Health, KrKind, ObjectiveStatus, Role, TeamRole
from boost_platform.responses import RESPONSE_CONFIG, ResponseModel
from pydantic import Field

Phase = Literal["drafting", "approval_due", "in_progress", "review", "retro"]

# --------------------------------------------------------------------------- people and teams


class User(events.UserData):
    model_config = RESPONSE_CONFIG


class Membership(events.Membership):
    model_config = RESPONSE_CONFIG


class Team(events.TeamData):
    model_config = RESPONSE_CONFIG
    members: list[Membership]  # type: ignore[assignment]  # pydantic: the response variant of the field


class MyTeam(ResponseModel):
    id: int
    name: str
    role: TeamRole


class Me(ResponseModel):
    user: User
    role: Role
    teams: list[MyTeam]
    now: datetime  # the server's clock (BOOST_NOW in demos and tests): relative times count from it


class Approvers(ResponseModel):
    """Who may approve an objective: leads of its team's parent (and admins), or admins for the
    company's own; nobody their own while another approver exists."""

    objective_id: int
    approvers: list[int]
    parent_team_id: int | None
    by: Literal["parent_leads", "admins"]


class ImportChange(ResponseModel):
    row: int | None  # the CSV line (2 is the first after the header); null for a team made for a parent_team
    action: Literal["create_user", "update_user", "create_team", "add_member", "change_team_role"]
    email: str | None = None
    team: str | None = None
    detail: str  # e.g. "role: member → admin", "lead"


class ImportResult(ResponseModel):
    created_users: int
    updated_users: int
    created_teams: int
    rows: int
    dry_run: bool = False  # true: nothing was written; `changes` is what an import would do
    changes: list[ImportChange] = Field(default_factory=list)


# --------------------------------------------------------------------------- org and cycles


class ReminderSetting(events.ReminderOverride):
    model_config = RESPONSE_CONFIG


class Org(events.OrgData):
    model_config = RESPONSE_CONFIG
    reminders: dict[str, ReminderSetting]  # type: ignore[assignment]  # pydantic: the response variant of the field
    version: int


class DateRange(ResponseModel):
    start: date
    end: date


class CyclePhases(ResponseModel):
    drafting: DateRange
    approval_due: date
    in_progress: DateRange
    review: date
    retro: DateRange


class _CycleBase(ResponseModel):
    id: str
    start: date
    end: date  # inclusive
    phases: CyclePhases
    phase: Phase | None  # the phase today is in (for badges), if any


class Cycle(_CycleBase):
    today: date  # in the org's timezone


class CycleInList(_CycleBase):
    current: bool


# --------------------------------------------------------------------------- objectives and key results


class MilestoneItem(events.MilestoneItem):
    model_config = RESPONSE_CONFIG


class KeyResult(events.KeyResultData):
    model_config = RESPONSE_CONFIG
    items: list[MilestoneItem]  # type: ignore[assignment]  # pydantic: the response variant of the field


class ObjectiveRef(ResponseModel):
    id: int
    title: str
    cycle: str
    team_id: int
    status: ObjectiveStatus


class KeyResultInList(KeyResult):
    objective: ObjectiveRef


class KeyResultEdited(KeyResult):
    merged: dict[str, str]  # text fields the server merged (three-way), as now stored


class Review(events.Review):
    model_config = RESPONSE_CONFIG


class Objective(events.ObjectiveData):
    model_config = RESPONSE_CONFIG
    review: Review | None = None
    key_results: list[KeyResult]
    needs_closing: bool  # the cycle has ended and the objective is not closed


class ObjectiveEdited(Objective):
    merged: dict[str, str]


class HistoryChange(ResponseModel):
    field: str
    before: Any
    after: Any


class HistoryEntry(ResponseModel):
    id: int
    entity: Literal["objective", "key_result", "check_in"]
    entity_id: int
    action: str
    actor_id: int | None  # a person, or null for a service (then `actor` names it)
    actor: str | None
    at: datetime
    changes: list[HistoryChange]


class CheckIn(events.CheckInData):
    model_config = RESPONSE_CONFIG


class CheckInRecorded(CheckIn):
    key_result: KeyResult  # the key result after the check-in (current, progress, health moved)


# --------------------------------------------------------------------------- dashboard and search


class CompanyProgress(ResponseModel):
    progress: float
    expected_progress: float


class ObjectiveBrief(ResponseModel):
    id: int
    title: str
    status: ObjectiveStatus
    progress: float
    health: Health


class DashboardTeam(ResponseModel):
    id: int
    name: str
    parent_id: int | None
    progress: float
    expected_progress: float
    health: Health
    objectives: list[ObjectiveBrief]


class Counts(ResponseModel):
    by_status: dict[ObjectiveStatus, int]
    by_health: dict[Health, int]
    objectives: int
    key_results: int


class AttentionKeyResult(ResponseModel):
    """A key result in the dashboard's at-risk, behind and stale lists."""

    id: int
    objective_id: int
    objective_title: str
    title: str
    owner_id: int
    owner_name: str
    kind: KrKind
    start: float
    target: float
    current: float
    unit: str
    confidence: int | None
    progress: float
    health: Health
    behind: bool
    stale: bool
    last_check_in_at: datetime | None
    forecast: events.KrForecast | None = None  # §9


class TreeNode(ResponseModel):
    objective_id: int
    title: str
    progress: float
    health: Health
    children: list[TreeNode]


class HistoryPoint(ResponseModel):
    date: date
    progress: float
    expected: float


class Dashboard(ResponseModel):
    cycle: str
    team_id: int | None
    phase: Phase | None
    company: CompanyProgress
    teams: list[DashboardTeam]
    counts: Counts
    at_risk: list[AttentionKeyResult]  # at most 50 each, worst first
    behind: list[AttentionKeyResult]
    stale: list[AttentionKeyResult]
    likely_to_miss: list[AttentionKeyResult]  # §9: forecast progress below 0.7, worst first
    tree: list[TreeNode]  # alignment: objectives under the one they support
    history: list[HistoryPoint]


class FoundObjective(ResponseModel):
    id: int
    title: str
    cycle: str
    team_id: int
    status: ObjectiveStatus


class FoundKeyResult(ResponseModel):
    id: int
    title: str
    objective_id: int
    cycle: str


class FoundUser(ResponseModel):
    id: int
    name: str
    email: str
    avatar_url: str | None


class FoundTeam(ResponseModel):
    id: int
    name: str


class SearchResults(ResponseModel):
    objectives: list[FoundObjective]
    key_results: list[FoundKeyResult]
    users: list[FoundUser]
    teams: list[FoundTeam]


# --------------------------------------------------------------------------- sign-in


class DevUserTeam(ResponseModel):
    id: int
    name: str
    role: TeamRole


class DevUser(User):
    """A person on the dev sign-in picker, with their teams and role in each."""

    teams: list[DevUserTeam]


class SignInMethods(ResponseModel):
    slack: bool  # Sign in with Slack is configured (client id and secret)
    dev: bool  # the dev picker is on


class DevSignIn(ResponseModel):
    token: str
    user: User


class Token(ResponseModel):
    token: str
    expires_at: int  # seconds since the epoch


class Jwks(ResponseModel):
    keys: list[dict[str, str]]


class Ok(ResponseModel):
    ok: bool


class Hint(ResponseModel):
    """A drafting hint (§9): never blocks a write or a submit."""

    code: Literal["no_key_results", "too_many_key_results", "start_equals_target", "all_boolean", "task_like",
                  "no_baseline"]
    key_result_id: int | None = None
    message: str


class CalibrationKeyResult(ResponseModel):
    id: int
    objective_id: int
    title: str
    mid_quarter_confidence: int | None  # the last confidence given by the end of the review day
    progress: float  # what it reached


class CalibrationCycle(ResponseModel):
    """One past quarter of a person's key results (§9 calibration), newest first."""

    cycle: str
    mid_quarter_confidence: float | None  # mean over the key results that had one
    progress: float  # mean progress reached
    key_results: list[CalibrationKeyResult]


class CheckInImportResult(ResponseModel):
    rows: int  # check-ins recorded
    key_results: int  # key results they went to
