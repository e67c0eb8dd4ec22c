"""REST for the Feedback Hub and retrospectives (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from ..access import load_actor
from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..readmodel import lookup
from ..responses import Feedback, FeedbackSummary
from ..schemas import MAX_ID, FeedbackCreate, FeedbackPatch, Kind
from . import service

router = APIRouter(prefix="/api/feedback", tags=["feedback"])
IdQ = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID, description="a feedback id")]
CycleQ = Annotated[str | None, Query(pattern=r"^([0-9]{4}-Q[1-4]|current|next)$", max_length=7,
                                     description="a cycle id such as 2027-Q1, or current / next")]


@router.get("/feedback", response_model=list[Feedback], summary="Feedback and retros, newest first (to=me: addressed to me, my teams, my objectives)")
async def list_feedback(actor: ActorDep, c: ContainerDep, session: SessionDep, cycle: CycleQ = None,
                        team_id: IdQ = None, objective_id: IdQ = None, to_user_id: IdQ = None,
                        author_id: IdQ = None, kind: Kind | None = None, to: Literal["me"] | None = None,
                        before: Cursor = None, after: Cursor = None,
                        limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
                        ) -> list[dict[str, Any]]:
    cycle_id = None
    if cycle is not None:
        cycle_id = (await lookup.cycle_of(session, c.runtime.clock.now(), cycle, c.runtime.settings.timezone)).id
    items = await service.list_feedback(session, actor, cycle=cycle_id, team_id=team_id, objective_id=objective_id,
                                        to_user_id=to_user_id, author_id=author_id, kind=kind, to_me=to == "me",
                                        before=before, after=after, limit=limit)
    return [service.feedback_json(fb) for fb in items]


@router.post("/feedback", response_model=Feedback, status_code=201, summary="Give feedback, or write a team's retrospective (kind retro)")
async def create_feedback(body: FeedbackCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with c.runtime.outbox.transaction() as tx:
        actor = await load_actor(tx.session, principal.user_id)
        fb = await service.create(tx, actor, c.runtime.clock.now(), body, c.runtime.settings.timezone)
        return service.feedback_json(fb)


@router.get("/feedback/summary", response_model=FeedbackSummary, summary="An objective's feedback: counts by kind, and how many are unresolved")
async def feedback_summary(objective_id: Annotated[int, Query(ge=1, le=MAX_ID)], actor: ActorDep,
                           session: SessionDep) -> dict[str, Any]:
    return await service.summary(session, objective_id)


@router.get("/feedback/{feedback_id}", response_model=Feedback, summary="One feedback entry")
async def get_feedback(feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: ActorDep,
                       session: SessionDep) -> dict[str, Any]:
    return service.feedback_json(await service.get_feedback(session, feedback_id))


@router.patch("/feedback/{feedback_id}", response_model=Feedback, summary="Resolve (whom it concerns), reword (its author), or edit a retro (its team)")
async def patch_feedback(feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: FeedbackPatch,
                         principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with c.runtime.outbox.transaction() as tx:
        actor = await load_actor(tx.session, principal.user_id)
        changes = body.model_dump(exclude_unset=True, exclude={"version", "base", "op_id"})
        base = {str(k): v for k, v in body.base.items()} if body.base is not None else None
        fb = await service.update(tx, actor, c.runtime.clock.now(), feedback_id, changes, body.version, base,
                                  op_id=body.op_id)
        return service.feedback_json(fb)  # the committed (perhaps merged) text, and the new version
