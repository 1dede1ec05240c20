"""Staff API: early signals, creditors' reports and the team report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from huishoudboekje import creditor_reports, followup
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, FINANCE, JOB, TEAMLEAD
from huishoudboekje.domain.signals import ACKNOWLEDGED, RESOLVED
from huishoudboekje.creditor_reports import CreditorSignals

from ..dependencies import READERS, TEAM, UPLOAD, Context, check_own, context, may_see, read_by, role
from ..errors import Problem
from ..idempotency import Write, json_answer, writer
from ..models import (MONTH, WRITE_PROBLEMS, NoteIn, ReportOut, SignalChanged, SignalOut, problems)
from ..report_models import QueuedReportOut, ReportAssigned, ReportAssignIn, SignalsImported

router = APIRouter(prefix="/api/v1")


@router.get("/signals", tags=["signals"], response_model=list[SignalOut],
            summary="Early signals, most urgent first (staff and teamleads: their own team's)",
            responses=problems(403, 422))
def signals(dossier: Annotated[str | None, Query(max_length=40)] = None,
            team: Annotated[str | None, Query(max_length=100)] = None,
            status: Literal["open", "acknowledged", "resolved"] | None = None,
            who: Principal = role(*READERS, FINANCE), ctx: Context = Depends(context)) -> Any:
    """The engine's own signals (no dossier: a payment file nobody released, …) go to
    teamleads and finance (finance sees only those) and auditors."""
    rows = _signals(dossier, team, status, who, ctx)
    asked = ctx.views.household(dossier) if dossier else None  # read, even when it has no signals
    seen = [dossier] if asked is not None and who.role != FINANCE and may_see(who, asked.team) else []
    read_by(ctx, who, seen + [r["dossier"] for r in rows if r.get("dossier")])
    return rows


def _signals(dossier: str | None, team: str | None, status: str | None, who: Principal, ctx: Context) -> Any:
    if who.role == FINANCE:
        return ctx.services.signals(status=status, households=False, controls=not (dossier or team))
    if who.role in TEAM:
        if team and team != who.team:
            return []
        return ctx.services.signals(dossier, who.team, status, controls=who.role == TEAMLEAD and not dossier)
    return ctx.services.signals(dossier, team, status)


@router.post("/signals/import", tags=["signals"], response_model=SignalsImported,
             summary="Import creditors' reports of arrears (vroegsignalering), all or nothing; reports no "
                     "household is found for wait in the queue",
             responses=WRITE_PROBLEMS)
def import_signals(report: CreditorSignals, call: Write = writer(JOB, *TEAM)) -> Response:
    def action() -> Response:
        data = report.model_dump(mode="json", by_alias=True)
        check_report(call, data["signals"])
        call.ctx.services.catch_up()  # the read model's keys find the households
        result = creditor_reports.import_reports(call.ctx.engine, call.ctx.services.projections, data, UPLOAD,
                                                 call.actor, call.ctx.services.settings.partner_types)
        return json_answer(SignalsImported(**result))

    return call.answer(action, "signals")


def check_report(call: Write, reports: list[dict[str, Any]]) -> None:
    """Staff report only on their own team's households, by dossier (others read as
    unknown dossiers); reports to be matched by IBAN, address or customer number come
    from the creditors' exchange (the job), which may see every household."""
    if call.who.role not in TEAM:
        return
    problems_ = []
    for index, item in enumerate(reports):
        if not item.get("dossier"):
            problems_.append((f"signals[{index}].dossier", "staff import reports on their own team's households, "
                                                           "by dossier"))
            continue
        try:
            check_own(call.ctx, call.who, item["dossier"])
        except Problem as problem:
            problems_.append((f"signals[{index}].dossier", problem.detail))
    if problems_:
        raise Problem(422, "Invalid document", "; ".join(f"{f}: {m}" for f, m in problems_), problems_[0][0],
                      {"errors": [{"field": f, "message": m} for f, m in problems_]})


@router.get("/signals/queue", tags=["signals"], response_model=list[QueuedReportOut],
            summary="Creditors' reports no household was found for, waiting to be assigned",
            responses=problems(403, 422))
def queue(status: Literal["waiting", "assigned"] | None = "waiting",
          who: Principal = role(TEAMLEAD, AUDITOR, JOB), ctx: Context = Depends(context)) -> Any:
    """Not yet any team's: teamleads (who assign them), auditors and the job see them."""
    return [r for r in creditor_reports.waiting_reports(ctx.engine, None) if status is None or r["status"] == status]


@router.post("/signals/queue/{report}/assign", tags=["signals"], response_model=ReportAssigned,
             summary="Put a queued creditor's report on a household (onboard it first if nobody manages it)",
             responses=WRITE_PROBLEMS)
def assign(report: Annotated[str, PathParam(max_length=40)], body: ReportAssignIn,
           call: Write = writer(TEAMLEAD)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, body.dossier)
        return json_answer(ReportAssigned(**creditor_reports.assign(call.ctx.engine, report, body.dossier,
                                                                    call.actor)))

    return call.answer(action, "report")


@router.post("/signals/{signal:path}/acknowledge", tags=["signals"], response_model=SignalChanged,
             summary="Acknowledge a signal: someone is on it", responses=WRITE_PROBLEMS)
def acknowledge(signal: Annotated[str, PathParam(description="DOSSIER|rule:agreement:period")],
                body: NoteIn | None = None, call: Write = writer(*TEAM)) -> Response:
    return change_signal(call, signal, body, followup.acknowledge, ACKNOWLEDGED)


@router.post("/signals/{signal:path}/resolve", tags=["signals"], response_model=SignalChanged,
             summary="Resolve a signal", responses=WRITE_PROBLEMS)
def resolve(signal: Annotated[str, PathParam(description="DOSSIER|rule:agreement:period, or a control's key")],
            body: NoteIn | None = None, call: Write = writer(*TEAM, FINANCE)) -> Response:
    return change_signal(call, signal, body, followup.resolve, RESOLVED)


def change_signal(call: Write, signal: str, body: NoteIn | None, command: Callable[..., None],
                  status: str) -> Response:
    def action() -> Response:
        unknown = Problem(404, "Not found", f"no signal {signal}", "signal")
        if followup.is_control(signal):  # the engine's own: teamleads and finance follow them up
            if call.who.role not in (TEAMLEAD, FINANCE):
                raise unknown
        elif call.who.role == FINANCE:  # a household's: not finance's to see
            raise unknown
        else:
            dossier, _ = followup.split_signal_id(signal)
            check_own(call.ctx, call.who, dossier, unknown)
        command(call.ctx.engine, signal, date.today(), call.actor, body.note if body else "")
        return json_answer(SignalChanged(signal=signal, status=status))

    return call.answer(action, "signal", missing="signal")


@router.get("/reports", tags=["signals"], response_model=ReportOut,
            summary="Team report: households, open signals, buffer exposure, arrears, shortfalls",
            description="Teamleads get their own team's report; auditors any team's, or all teams'.",
            responses=problems(403, 422))
def report(team: Annotated[str | None, Query(max_length=100)] = None,
           month: Annotated[str | None, Query(pattern=MONTH, description="Signals raised in this month")] = None,
           who: Principal = role(TEAMLEAD, AUDITOR), ctx: Context = Depends(context)) -> Any:
    if who.role == TEAMLEAD:
        if team and team != who.team:
            raise Problem(403, "Forbidden", f"a teamlead reads the report of team {who.team} only", "team")
        team = who.team
    return ctx.services.report(team, month)
