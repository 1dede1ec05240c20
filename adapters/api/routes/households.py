"""Staff API: households (onboarding, reading, changing them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from huishoudboekje import reports
from huishoudboekje import households as household_service
from huishoudboekje.agreement_changes import paid_after
from huishoudboekje import notices as notice_service
from huishoudboekje.access import Principal
from huishoudboekje.domain.household import household_id
from huishoudboekje.onboarding import HouseholdDoc, RevertsChanges, parse_document

from ...overview import render_html
from ..dependencies import (READERS, TEAM, UPLOAD, Context, check_own, context, hidden, may_see, read_by, role,
                            visible)
from ..errors import Problem, domain_errors
from ..idempotency import Write, json_answer, writer
from ..models import (MONTH, READ_PROBLEMS, WRITE_PROBLEMS, AgreementEnded, AmountChanged, AmountChangeIn,
                      BusinessDate, DossierPath, EndIn, HeldReleased, HistoryOut, HouseholdOut, HouseholdRow,
                      LeftOut, NoticesIn, NoticesOut, Onboarded, ParticipationEnded, ParticipationEndIn,
                      PaidPeriod, PayDayChanged, PayDayIn, problems)
from ..report_models import AddressIn, AddressSet, CustomerNumberIn, CustomerNumberSet

router = APIRouter(prefix="/api/v1")


@router.post("/households", tags=["households"], status_code=201, response_model=Onboarded,
             summary="Onboard a household, or apply an edited onboarding document",
             description="The body is the onboarding document (as `hhb onboard` reads it), as JSON. "
                         "Amounts are text. 201 when the household is new; 200 when it was unchanged "
                         "or updated (exactly the events for what changed are written). A document "
                         "that would undo a change recorded since by another command (an amount "
                         "change, an agreement's end, a pay-day change) is refused with 409 naming "
                         "each (`changes`), unless `replace=true`, which undoes them and records it.",
             responses={200: {"model": Onboarded, "description": "Unchanged or updated"},
                        **WRITE_PROBLEMS})
def onboard(document: HouseholdDoc, call: Write = writer(*TEAM),
            replace: Annotated[bool, Query(description="Undo changes other commands recorded since, "
                                                       "on purpose (recorded on the household)")] = False) -> Response:
    def action() -> Response:
        spec = parse_document(document, UPLOAD)
        existing = call.ctx.engine.get_or_none(household_id(spec.dossier))
        if existing is not None and not may_see(call.who, existing.team):
            raise hidden(spec.dossier)
        if call.who.role in TEAM and spec.team != call.who.team:
            raise Problem(403, "Forbidden", f"a {call.who.role} onboards households of team "
                          f"{call.who.team} only", "team")
        try:
            [result] = call.ctx.services.onboard([(UPLOAD, spec)], call.actor, replace)
        except RevertsChanges as exc:
            raise Problem(409, "Conflict", "; ".join(str(p) for p in exc.problems), exc.problems[0].path,
                          {"changes": [c.as_dict() for c in exc.changes]}) from None
        status = 201 if result.status == household_service.CREATED else 200
        return json_answer(Onboarded(**result.as_dict(), warnings=list(result.warnings)), status,
                       f"{router.prefix}/households/{quote(result.dossier, safe='')}")

    return call.answer(action, "body")


@router.get("/households", tags=["households"], response_model=list[HouseholdRow],
            summary="List households (staff and teamleads: their own team's)",
            responses=problems(403))
def list_households(who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    rows = ctx.services.households(who.team if who.role in TEAM else None)
    read_by(ctx, who, (r["dossier"] for r in rows))
    return rows


@router.get("/households/{dossier:path}/history", tags=["households"], response_model=HistoryOut,
            summary="A household's event timeline, and how it stood on a date",
            responses=READ_PROBLEMS)
def history(dossier: DossierPath, as_of: BusinessDate | None = None,
            who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    visible(ctx, who, dossier)
    with domain_errors():
        return ctx.services.history(dossier, as_of)


@router.get("/households/{dossier:path}/left", tags=["households"], response_model=LeftOut,
            summary="What's left this cycle, with the forecast for the next pay date",
            responses=READ_PROBLEMS)
def left(dossier: DossierPath, day: Annotated[BusinessDate | None, Query(alias="date")] = None,
         who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    return ctx.services.left(visible(ctx, who, dossier), day)


@router.get("/households/{dossier:path}/notices", tags=["households"], response_model=NoticesOut,
            summary="The participant's choice of notices (e-mail or text message)", responses=READ_PROBLEMS)
def notices_of(dossier: DossierPath, who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    visible(ctx, who, dossier)
    with domain_errors():
        return notice_service.show(ctx.services.engine, dossier)


@router.post("/households/{dossier:path}/notices", tags=["households"], response_model=NoticesOut,
             summary="Record the participant's own choice of notices (consent)",
             description="E-mail or text message when leefgeld is sent, when an income is late or a payment "
                         "came back, and a fresh link when theirs is about to expire; the message says only "
                         "that there is news. `none` stops them.", responses=WRITE_PROBLEMS)
def choose_notices(dossier: DossierPath, body: NoticesIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        return json_answer(NoticesOut(**notice_service.choose(
            call.ctx.engine, dossier, body.channel, body.address, body.language, body.on or date.today(),
            call.actor)))

    return call.answer(action, "address")


@router.get("/households/{dossier:path}/overview", tags=["households"], response_class=HTMLResponse,
            summary="The printable monthly overview in plain Dutch (HTML)",
            responses={200: {"description": "The overview page", "content": {"text/html": {}}},
                       **READ_PROBLEMS})
def overview(dossier: DossierPath, month: Annotated[str, Query(pattern=MONTH, examples=["2026-12"])],
             who: Principal = role(*READERS), ctx: Context = Depends(context)) -> HTMLResponse:
    visible(ctx, who, dossier)
    return overview_of(ctx, dossier, month)


@router.post("/households/{dossier:path}/agreements/{agreement}/amount-changes", tags=["households"],
             response_model=AmountChanged, summary="A new amount for an agreement from a date on",
             responses=WRITE_PROBLEMS)
def change_amount(dossier: DossierPath, agreement: str, change: AmountChangeIn,
                  call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        household_service.change_amount(call.ctx.engine, dossier, agreement, change.amount,
                                        change.effective, call.actor)
        return json_answer(AmountChanged(dossier=dossier, agreement=agreement, amount=str(change.amount),
                                     effective=change.effective.isoformat()))

    return call.answer(action, "effective")


@router.post("/households/{dossier:path}/agreements/{agreement}/end", tags=["households"],
             response_model=AgreementEnded, summary="End an agreement on a date",
             responses=WRITE_PROBLEMS)
def end_agreement(dossier: DossierPath, agreement: str, body: EndIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        household_service.end_agreement(call.ctx.engine, dossier, agreement, body.end, call.actor)
        paid = paid_after(call.ctx.engine.household(dossier), agreement, body.end)
        return json_answer(AgreementEnded(dossier=dossier, agreement=agreement, end=body.end.isoformat(),
                                          paid_after_end=[PaidPeriod(**p) for p in paid]))

    return call.answer(action, "end")


@router.post("/households/{dossier:path}/pay-day", tags=["households"], response_model=PayDayChanged,
             summary="Change the pay day (1–28 or last-business-day) from a date on",
             responses=WRITE_PROBLEMS)
def change_pay_day(dossier: DossierPath, body: PayDayIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.change_pay_day(call.ctx.engine, dossier, body.pay_day, body.effective, call.actor)
        return json_answer(PayDayChanged(dossier=dossier, pay_day=body.pay_day, effective=body.effective.isoformat(),
                                         **outcome))

    return call.answer(action, "effective")


@router.post("/households/{dossier:path}/end", tags=["households"], response_model=ParticipationEnded,
             summary="End a household's participation; every agreement ends that day",
             responses=WRITE_PROBLEMS)
def end_participation(dossier: DossierPath, body: ParticipationEndIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.end_participation(call.ctx.engine, dossier, body.end, call.actor, body.reason)
        return json_answer(ParticipationEnded(dossier=dossier, end=body.end.isoformat(), **outcome))

    return call.answer(action, "end")


@router.post("/households/{dossier:path}/release", tags=["households"], response_model=HeldReleased,
             summary="Approve releasing leefgeld held above the participant ceiling (two different people)",
             responses=WRITE_PROBLEMS)
def release_held(dossier: DossierPath, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.release_held(call.ctx.engine, dossier, date.today(), call.actor)
        return json_answer(HeldReleased(**outcome))

    return call.answer(action, "dossier")


@router.post("/households/{dossier:path}/address", tags=["households"], response_model=AddressSet,
             summary="Set the household's address (creditors' reports are matched by it)",
             responses=WRITE_PROBLEMS)
def set_address(dossier: DossierPath, body: AddressIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.set_address(call.ctx.engine, dossier, body.postcode, body.number, body.street,
                                                body.place, call.actor)
        return json_answer(AddressSet(**outcome))

    return call.answer(action, "postcode")


@router.post("/households/{dossier:path}/agreements/{agreement}/customer-number", tags=["households"],
             response_model=CustomerNumberSet, summary="Set the creditor's customer number on a charge",
             responses=WRITE_PROBLEMS)
def set_customer_number(dossier: DossierPath, agreement: str, body: CustomerNumberIn,
                        call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.set_customer_number(call.ctx.engine, dossier, agreement, body.customer_number,
                                                        call.actor)
        return json_answer(CustomerNumberSet(**outcome))

    return call.answer(action, "customer_number")


@router.get("/households/{dossier:path}", tags=["households"], response_model=HouseholdOut,
            summary="One household: settings, participants, agreements, money owed",
            responses=READ_PROBLEMS)
def get_household(dossier: DossierPath, who: Principal = role(*READERS),
                  ctx: Context = Depends(context)) -> Any:
    return ctx.services.household_detail(visible(ctx, who, dossier))


def overview_of(ctx: Context, dossier: str, month: str) -> HTMLResponse:
    with domain_errors("month"):
        data = reports.monthly_overview(ctx.engine, dossier, month, unreleased=ctx.services.projections.unreleased)
    return HTMLResponse(render_html(data))
