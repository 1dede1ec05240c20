"""Staff API: maatwerk cases (`hhb maatwerk`): propose, approve, withdraw, follow up, read, report.

Staff and teamleads act on their own team's cases (another team's answers 404, like an
unknown one) as the staff account of their token's name, whose team must be the
token's: its discipline is what an approval counts as. Auditors and finance read
every team's cases and the report; nobody else writes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from huishoudboekje import maatwerk, users
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, FINANCE, TEAMLEAD
from huishoudboekje.domain.errors import NotFound

from ..dependencies import TEAM, Context, context, role
from ..errors import Problem
from ..idempotency import Write, writer
from ..models import READ_PROBLEMS, WRITE_PROBLEMS

router = APIRouter(prefix="/api/v1")
READ = (*TEAM, AUDITOR, FINANCE)
CASE = Annotated[str, PathParam(max_length=20, pattern=r"^[A-Za-z0-9\-]+$", examples=["MW-2026-0001"])]
STATUS = Literal["proposed", "paid", "withdrawn", "follow-up-due"]


class ApproveIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000,
                               description="Why, when the payment takes the team over its budget")


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class FollowUpIn(BaseModel):
    outcome: Literal["better", "same", "worse"]
    note: str = Field(default="", max_length=2000)


def _own_case(ctx: Context, who: Principal, number: str) -> dict[str, Any]:
    found = ctx.services.maatwerk_case(number)
    if who.role in TEAM and found["team"] != who.team:
        raise Problem(404, "Not found", f"there is no maatwerk case {number}", "case")
    return found


def _acting(call: Write) -> str:
    """The caller's staff account must be of the token's team: it is what they act as."""
    account = users.acting(call.ctx.engine, call.who.name)
    if account.team != call.who.team:
        raise Problem(403, "Forbidden", f"the staff account of {account.name} is of {account.team}, "
                      f"the token of {call.who.team}", "actor")
    return call.actor


@router.get("/maatwerk", tags=["maatwerk"], response_model=list[dict[str, Any]],
            summary="Maatwerk cases (staff and teamleads: their own team's)", responses=READ_PROBLEMS)
def list_cases(team: Annotated[str | None, Query(max_length=100)] = None, status: STATUS | None = None,
               year: Annotated[int | None, Query(ge=2000, le=2099)] = None,
               who: Principal = role(*READ), ctx: Context = Depends(context)) -> Any:
    if who.role in TEAM:
        if team and team != who.team:
            return []
        team = who.team
    return ctx.services.maatwerk_cases(team, status, year)


@router.get("/maatwerk/report", tags=["maatwerk"], response_model=dict[str, Any],
            summary="Spend per team and month, per category, avoided costs, ratio, outcomes",
            responses=READ_PROBLEMS)
def report(team: Annotated[str | None, Query(max_length=100)] = None,
           year: Annotated[int | None, Query(ge=2000, le=2099)] = None,
           who: Principal = role(TEAMLEAD, AUDITOR, FINANCE, *TEAM), ctx: Context = Depends(context)) -> Any:
    if who.role in TEAM:
        if team and team != who.team:
            raise Problem(404, "Not found", f"no team {team}", "team")
        team = who.team
    return ctx.services.maatwerk_report(year, team)


@router.get("/maatwerk/{case}", tags=["maatwerk"], response_model=dict[str, Any],
            summary="One maatwerk case", responses=READ_PROBLEMS)
def show(case: CASE, who: Principal = role(*READ), ctx: Context = Depends(context)) -> Any:
    try:
        return _own_case(ctx, who, case)
    except NotFound:
        raise Problem(404, "Not found", f"there is no maatwerk case {case}", "case") from None


@router.post("/maatwerk", tags=["maatwerk"], status_code=201, response_model=dict[str, Any],
             summary="Propose a case (the proposal document as JSON)", responses=WRITE_PROBLEMS)
def propose(document: Annotated[dict[str, Any], Body()], call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        answer = call.ctx.services.maatwerk_propose(document, _acting(call))
        return JSONResponse(answer, status_code=201, headers={"Location": f"/api/v1/maatwerk/{answer['case']}"})

    return call.answer(action, "document", missing="dossier")


@router.post("/maatwerk/{case}/approve", tags=["maatwerk"], response_model=dict[str, Any],
             summary="Approve as the discipline of your staff account; the third approval pays at once",
             responses=WRITE_PROBLEMS)
def approve(case: CASE, body: ApproveIn | None = None, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        actor = _acting(call)
        _own_case(call.ctx, call.who, case)
        return JSONResponse(call.ctx.services.maatwerk_approve(case, actor, reason=body.reason if body else None))

    return call.answer(action, "case", missing="case")


@router.post("/maatwerk/{case}/withdraw", tags=["maatwerk"], response_model=dict[str, Any],
             summary="Withdraw a proposed case", responses=WRITE_PROBLEMS)
def withdraw(case: CASE, body: WithdrawIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        actor = _acting(call)
        today = call.ctx.services.local_now().date()
        return JSONResponse(maatwerk.withdraw(call.ctx.engine, case, actor, body.reason, today))

    return call.answer(action, "case", missing="case")


@router.post("/maatwerk/{case}/follow-up", tags=["maatwerk"], response_model=dict[str, Any],
             summary="How the household is doing six months after the payment", responses=WRITE_PROBLEMS)
def follow_up(case: CASE, body: FollowUpIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        actor = _acting(call)
        today = call.ctx.services.local_now().date()
        return JSONResponse(maatwerk.follow_up(call.ctx.engine, case, actor, body.outcome, body.note, today))

    return call.answer(action, "case", missing="case")
