"""Staff API: a household's debts (issue 23), as `hhb debts` has them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from huishoudboekje import debts as debt_service
from huishoudboekje.access import Principal
from huishoudboekje.domain.debts import SEPARATOR, debt_id
from huishoudboekje.onboarding import AmountField

from ..dependencies import READERS, TEAM, Context, check_own, context, role, visible
from ..errors import domain_errors
from ..idempotency import Write, json_answer, writer
from ..models import READ_PROBLEMS, WRITE_PROBLEMS, BusinessDate, DossierPath, In, problems

router = APIRouter(prefix="/api/v1")

Kind = Literal["huur", "energie", "water", "zorgverzekering", "belasting", "toeslag-terugvordering", "overig"]


class DebtIn(In):
    creditor: str = Field(min_length=1, max_length=140, description="The creditor's name")
    iban: str = Field(min_length=1, max_length=42, description="The creditor's IBAN")
    amount: AmountField = Field(description="What is owed, as text (\"1500.00\")")
    since: BusinessDate = Field(description="Date the debt began")
    kind: Kind
    reference: str | None = Field(default=None, max_length=140, description="The creditor's reference")
    source: Literal["intake", "creditor-report"] = "intake"


class DebtUpdateIn(In):
    creditor: str | None = Field(default=None, min_length=1, max_length=140)
    iban: str | None = Field(default=None, min_length=1, max_length=42)
    amount: AmountField | None = None
    since: BusinessDate | None = None
    kind: Kind | None = None
    reference: str | None = Field(default=None, max_length=140)


class DebtCloseIn(In):
    on: BusinessDate = Field(description="The day it is closed")
    reason: str = Field(min_length=1, max_length=200, description="Paid, settled, remitted, …")


class DebtOut(BaseModel):
    debt: str = Field(description="DOSSIER:S1 for a recorded debt, DOSSIER:A-AGREEMENT for the engine's arrears")
    dossier: str
    creditor: str
    iban: str
    amount: str
    remaining: str
    since: str
    kind: str
    reference: str | None
    source: str = Field(description="intake, creditor-report or engine-arrears")
    status: str = Field(description="open or closed")
    closed_on: str | None
    reason: str | None
    frozen: bool = Field(description="Frozen by a moratorium on the date asked about")
    frozen_until: str | None = Field(description="The last day of that moratorium")


def _full(dossier: str, debt: str) -> str:
    return debt if SEPARATOR in debt else debt_id(dossier, debt)


@router.get("/debts", tags=["debts"], response_model=list[DebtOut],
            summary="Every household's debts (staff and teamleads: their own team's)", responses=problems(403))
def all_debts(as_of: Annotated[date | None, Query(alias="date", description="Frozen on this date (default today)")]
              = None, who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    return ctx.services.debts(None, who.team if who.role in TEAM else None, as_of)


@router.get("/households/{dossier:path}/debts", tags=["debts"], response_model=list[DebtOut],
            summary="A household's debts: recorded ones and the engine's own arrears", responses=READ_PROBLEMS)
def household_debts(dossier: DossierPath, as_of: Annotated[date | None, Query(
        alias="date", description="Frozen on this date (default today)")] = None,
        who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    visible(ctx, who, dossier)
    with domain_errors():
        return ctx.services.debts(dossier, None, as_of)


@router.post("/households/{dossier:path}/debts", tags=["debts"], status_code=201, response_model=DebtOut,
             summary="Record a debt of a household", responses=WRITE_PROBLEMS)
def add_debt(dossier: DossierPath, body: DebtIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.add_debt(call.ctx.engine, dossier, creditor=body.creditor, iban=body.iban,
                                    amount=body.amount, since=body.since, kind=body.kind, reference=body.reference,
                                    source=body.source, actor=call.actor)
        return json_answer(DebtOut(**row), 201)

    return call.answer(action, "creditor")


@router.post("/households/{dossier:path}/debts/{debt}/update", tags=["debts"], response_model=DebtOut,
             summary="Correct a debt's creditor, IBAN, amount, date, kind or reference", responses=WRITE_PROBLEMS)
def update_debt(dossier: DossierPath, debt: str, body: DebtUpdateIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.update_debt(call.ctx.engine, _full(dossier, debt), body.model_dump(), call.actor)
        return json_answer(DebtOut(**row))

    return call.answer(action, "debt")


@router.post("/households/{dossier:path}/debts/{debt}/close", tags=["debts"], response_model=DebtOut,
             summary="Close a debt (paid, settled, remitted); its history stays", responses=WRITE_PROBLEMS)
def close_debt(dossier: DossierPath, debt: str, body: DebtCloseIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.close_debt(call.ctx.engine, _full(dossier, debt), body.on, body.reason, call.actor)
        return json_answer(DebtOut(**row))

    return call.answer(action, "debt")


class ArrangementIn(In):
    monthly: AmountField = Field(description="The amount of a term, as text (\"72.00\")")
    start: BusinessDate = Field(alias="from", description="The first pay date on or after it pays a term")
    terms: int | None = Field(default=None, ge=1, le=600, description="The number of terms; none: until paid")


class ArrangementOut(BaseModel):
    arrangement: str = Field(description="DOSSIER:R1")
    debt: str
    monthly: str
    start: str = Field(alias="from", serialization_alias="from")
    terms: int | None
    paid_terms: int
    paid: str
    missed: int
    status: str = Field(description="active or completed")


@router.get("/households/{dossier:path}/arrangements", tags=["debts"], response_model=list[ArrangementOut],
            response_model_by_alias=True, summary="A household's payment arrangements", responses=READ_PROBLEMS)
def household_arrangements(dossier: DossierPath, who: Principal = role(*READERS),
                           ctx: Context = Depends(context)) -> Any:
    return visible(ctx, who, dossier).arrangement_rows()


@router.post("/households/{dossier:path}/debts/{debt}/arrangements", tags=["debts"], status_code=201,
             response_model=ArrangementOut, summary="A payment arrangement on a debt", responses=WRITE_PROBLEMS)
def add_arrangement(dossier: DossierPath, debt: str, body: ArrangementIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.add_arrangement(call.ctx.engine, _full(dossier, debt), body.monthly, body.start,
                                           body.terms, call.actor)
        return JSONResponse(ArrangementOut(**row).model_dump(mode="json", by_alias=True), status_code=201)

    return call.answer(action, "debt")


class MoratoriumIn(In):
    start: BusinessDate | None = Field(default=None, alias="from", description="Its first day (not when extending)")
    until: BusinessDate = Field(description="Its last day: at most six months after its first (or its old end)")
    reason: str = Field(min_length=1, max_length=300)
    extend: bool = Field(default=False, description="Extend the last moratorium to `until`")


class MoratoriumOut(BaseModel):
    dossier: str
    start: str = Field(alias="from", serialization_alias="from")
    until: str
    reason: str
    extensions: list[dict[str, str]]


@router.post("/households/{dossier:path}/moratorium", tags=["debts"], response_model=MoratoriumOut,
             summary="A moratorium: pauses the arrangements and freezes the debts (at most six months)",
             responses=WRITE_PROBLEMS)
def moratorium(dossier: DossierPath, body: MoratoriumIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.moratorium(call.ctx.engine, dossier, body.start, body.until, body.reason, body.extend,
                                      call.actor)
        return JSONResponse(MoratoriumOut(**row).model_dump(mode="json", by_alias=True))

    return call.answer(action, "until")


class ReferralIn(In):
    on: BusinessDate = Field(alias="date", description="The day of the referral")
    organisation: str = Field(min_length=1, max_length=200, description="The debt counselling organisation")


class ReferralOut(BaseModel):
    dossier: str
    on: str
    organisation: str


@router.post("/households/{dossier:path}/referral", tags=["debts"], response_model=ReferralOut,
             summary="Record a referral to debt counselling (schuldhulpverlening)", responses=WRITE_PROBLEMS)
def referral(dossier: DossierPath, body: ReferralIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        row = debt_service.referral(call.ctx.engine, dossier, body.on, body.organisation, call.actor)
        return json_answer(ReferralOut(**row))

    return call.answer(action, "organisation")


class PhaseOutIn(In):
    agreements: list[str] = Field(min_length=1, max_length=50, description="Charges the participant pays")
    start: BusinessDate = Field(alias="from", description="The first due date the participant pays")


class SelfPaidOut(BaseModel):
    dossier: str
    agreement: str
    creditor: str
    start: str = Field(alias="from", serialization_alias="from")
    amount: str


@router.post("/households/{dossier:path}/phase-out", tags=["debts"], response_model=list[SelfPaidOut],
             summary="Phase-out: from a date the participant pays these charges; the pay dates no longer do",
             responses=WRITE_PROBLEMS)
def phase_out(dossier: DossierPath, body: PhaseOutIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        rows = debt_service.phase_out(call.ctx.engine, dossier, body.agreements, body.start, call.actor)
        return JSONResponse([SelfPaidOut(**r).model_dump(mode="json", by_alias=True) for r in rows])

    return call.answer(action, "agreement")
