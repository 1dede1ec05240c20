"""Staff API routes: what the CLI does, over HTTP, with roles and team scoping.

Handlers check who may do what, call the application services and shape the answer;
every rule lives in `huishoudboekje/`. Every write records the caller as its actor,
brings the read models up to date, and may carry an `Idempotency-Key`.

Roles: `staff` and `teamlead` see and change their own team's households only (any
other household answers 404, exactly as an unknown one); `teamlead` also reads
reports; `auditor` reads everything and writes nothing; `job` imports statements and
creditor reports, runs the pay date and fetches payment files; `participant` reads
their own household under /me and nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from huishoudboekje import followup
from huishoudboekje import households as household_service
from huishoudboekje import statements as statement_service
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, JOB, PARTICIPANT, STAFF, TEAMLEAD
from huishoudboekje.domain.household import Household, household_id
from huishoudboekje.domain.run import Run
from huishoudboekje.followup import CreditorSignals
from huishoudboekje.onboarding import AmountField, HouseholdDoc, PayDay, parse_document
from huishoudboekje.reconcile import files_dir

from ..overview import render_html
from ..statements import parse_statement_bytes
from .app import PROBLEM, REPLAYABLE, Context, Problem, context, principal, problem_of

router = APIRouter(prefix="/api/v1")

TEAM = (STAFF, TEAMLEAD)  # scoped to the households of their own team
READERS = (STAFF, TEAMLEAD, AUDITOR)
UPLOAD = "request body"  # what errors call the uploaded document
IDEMPOTENCY_KEYS = 100_000  # answers kept for replay; a retry comes within minutes, not days

# Dates far outside any household's life only make the calendar arithmetic overflow.
BusinessDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31),
                                     description="A business date, YYYY-MM-DD (2000–2099)")]
MONTH = r"^20\d\d-(0[1-9]|1[0-2])$"
MAX_DIGITS = 12  # no household amount comes near; Money itself fails past 26
DossierPath = Annotated[str, PathParam(description="Dossier number", examples=["HHB-2026-0001"])]


# -- access --------------------------------------------------------------------------------


def role(*allowed: str) -> Any:
    """A dependency: the caller, if their role may use the endpoint (403 otherwise)."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if who.role not in allowed:
            raise Problem(403, "Forbidden", f"a {who.role} credential may not use this endpoint")
        return who

    return Depends(check)


def hidden(dossier: str) -> Problem:
    """The answer for another team's household: word for word that of an unknown one."""
    return Problem(404, "Not found", f"no household with dossier {dossier}", "dossier")


def may_see(who: Principal, team: str) -> bool:
    return who.role not in TEAM or team == who.team


def visible(ctx: Context, who: Principal, dossier: str) -> Household:
    """A household from the read model, if the caller may see it."""
    household = ctx.views.household(dossier)
    if household is None or not may_see(who, household.team):
        raise hidden(dossier)
    return household


def check_own(ctx: Context, who: Principal, dossier: str, missing: Problem | None = None) -> None:
    """Before a write: the household must be the caller's team's (read from the events, not a view)."""
    if who.role not in TEAM:
        return
    household = ctx.engine.get_or_none(household_id(dossier))
    if household is None or household.team != who.team:
        raise missing or hidden(dossier)


# -- writes: actor, idempotency, errors, fresh read models ---------------------------------


@dataclass
class Write:
    """One write request: who asks, with which key, and a fingerprint of exactly what they asked."""

    ctx: Context
    who: Principal
    key: str | None
    fingerprint: str
    body: bytes

    @property
    def actor(self) -> str:
        return self.who.actor

    def answer(self, action: Callable[[], Response], field: str | None = None,
               missing: str = "dossier") -> Response:
        """Run `action` once per idempotency key; a retry gets the first answer again."""
        if self.key is None:
            return self._run(action, field, missing)
        slot = (self.who.credential, self.key)
        stored = self._claim(slot)
        if stored is not None:
            return self._replay(stored)
        try:
            response = self._run(action, field, missing)
        except Problem as problem:  # a refusal is an answer too: the retry gets it again
            response = problem.response()
        except BaseException:
            with self.ctx.idempotency_lock:  # nothing to replay: a retry may try again
                self.ctx.idempotency.pop(slot, None)
            raise
        self._keep(slot, response)
        return response

    def _claim(self, slot: tuple[str, str]) -> tuple[int, Any] | None:
        """What is stored under the key; if nothing, mark it in progress, atomically."""
        with self.ctx.idempotency_lock:
            stored = self.ctx.idempotency.get(slot)
            if stored is None:
                self.ctx.idempotency[slot] = (0, (self.fingerprint, None))
            return stored

    def _keep(self, slot: tuple[str, str], response: Response) -> None:
        headers = {k: v for k, v in response.headers.items() if k in ("location", "content-type")}
        with self.ctx.idempotency_lock:
            self.ctx.idempotency[slot] = (response.status_code, (self.fingerprint, (response.body, headers)))
            while len(self.ctx.idempotency) > IDEMPOTENCY_KEYS:  # oldest first: memory stays bounded
                del self.ctx.idempotency[next(iter(self.ctx.idempotency))]

    def _run(self, action: Callable[[], Response], field: str | None, missing: str) -> Response:
        with domain_errors(field, missing):
            response = action()
        if response.status_code < 300:
            refresh(self.ctx)
        return response

    def _replay(self, stored: tuple[int, Any]) -> Response:
        status, (fingerprint, saved) = stored
        if fingerprint != self.fingerprint:
            raise Problem(422, "Idempotency key reused",
                          "this Idempotency-Key was used for a different request; use a new key",
                          "Idempotency-Key")
        if saved is None:
            raise Problem(409, "Conflict", "a request with this Idempotency-Key is still being processed",
                          "Idempotency-Key")
        body, headers = saved
        return Response(body, status_code=status, headers={**headers, "Idempotent-Replayed": "true"})


def writer(*allowed: str) -> Any:
    """A dependency: a write by one of the allowed roles."""

    async def dependency(
        request: Request, who: Principal = role(*allowed), ctx: Context = Depends(context),
        key: Annotated[str | None, Header(
            alias="Idempotency-Key", min_length=1, max_length=200,
            description="Send the same key when retrying: the write happens once and the first "
                        "answer is returned again. A key is bound to exactly one request.")] = None,
    ) -> Write:
        body = await request.body()  # cached if FastAPI read a JSON body; the upload itself otherwise
        fingerprint = hashlib.sha256(b"\n".join([
            request.method.encode(), request.url.path.encode(), request.url.query.encode(), body,
        ])).hexdigest()
        return Write(ctx, who, key, fingerprint, body)

    return Depends(dependency)


def refresh(ctx: Context) -> None:
    """Bring the read models up to date after a write, so the next read sees it."""
    ctx.services.catch_up()


@contextmanager
def domain_errors(field: str | None = None, missing: str = "dossier") -> Iterator[None]:
    """The engine's refusals as problem details, naming the field they are about (or
    `missing` for what was not found, `field` for anything else)."""
    try:
        yield
    except REPLAYABLE as exc:
        raise problem_of(exc, field, missing) from None


def json_answer(model: BaseModel, status: int = 200, location: str | None = None) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status,
                        headers={"Location": location} if location else None)


# -- OpenAPI helpers ---------------------------------------------------------------------


class ProblemOut(BaseModel):
    """RFC 9457 problem details; `field` names the part of the request that is wrong."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


_PROBLEM_SCHEMA = ProblemOut.model_json_schema()
_MEANING = {401: "Missing, unknown, expired or revoked token", 403: "The role may not do this",
            404: "Unknown (or another team's) household, transaction, signal or file",
            409: "The request conflicts with the current state", 413: "Request body too large",
            422: "Invalid input, or a change the engine refuses; nothing was written",
            429: "Too many failed sign-ins from this client or with this token; wait a minute"}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": _MEANING[code], "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}}
            for code in sorted({401, 429, *codes})}


READ_PROBLEMS = problems(403, 404, 422)
WRITE_PROBLEMS = problems(403, 404, 409, 413, 422)


# -- models ------------------------------------------------------------------------------


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AmountChangeIn(In):
    amount: AmountField = Field(description="The new amount, as text (\"735.00\")")
    effective: BusinessDate

    @field_validator("amount", mode="before")
    @classmethod
    def _not_huge(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value.split(".")[0]) > MAX_DIGITS:
            raise ValueError(f"at most {MAX_DIGITS} digits before the decimal point")
        return value


class EndIn(In):
    end: BusinessDate = Field(description="The last day it applies")


class PayDayIn(In):
    pay_day: PayDay
    effective: BusinessDate


class BookIn(In):
    dossier: str = Field(min_length=1, max_length=40, examples=["HHB-2026-0001"])
    agreement: str = Field(min_length=1, max_length=40, examples=["bijstand"])


class ReasonIn(In):
    reason: str = Field(default="", max_length=500)


class NoteIn(In):
    note: str = Field(default="", max_length=500)


class RunIn(In):
    date: BusinessDate | None = Field(default=None, description="Run through this date (default: today)")


class Onboarded(BaseModel):
    dossier: str
    household_id: str
    status: Literal["created", "unchanged", "updated"]


class TeamOut(BaseModel):
    name: str
    phone: str | None
    email: str | None
    hours: str | None = Field(description="When the team can be reached")


class HouseholdRow(BaseModel):
    dossier: str
    household_id: str
    team: str
    status: str
    buffer_outstanding: str
    arrears_count: int
    arrears_amount: str
    account: str | None


class CounterpartyOut(BaseModel):
    name: str
    iban: str


class ParticipantOut(CounterpartyOut):
    contact: str | None


class AmountFromOut(BaseModel):
    effective: str
    amount: str


class AgreementOut(BaseModel):
    id: str
    kind: str
    category: str
    counterparty: CounterpartyOut
    amount: str
    amounts: list[AmountFromOut]
    schedule: dict[str, Any]
    start: str
    end: str | None
    reference: str | None
    priority: int
    tolerance: dict[str, Any] | None
    match_terms: list[str]


class PayDayFromOut(BaseModel):
    effective: str
    pay_day: int | str


class HouseholdOut(BaseModel):
    dossier: str
    household_id: str
    team: str
    status: str
    start: str
    end: str | None
    pay_day: int | str
    pay_days: list[PayDayFromOut]
    buffer_limit: str
    minimum_leefgeld: str
    leefgeld_schedule: str
    execute_on: str
    account: str | None
    participants: list[ParticipantOut]
    agreements: list[AgreementOut]
    buffer_outstanding: str
    arrears: dict[str, Any]
    last_pay_date: str | None


class EventOut(BaseModel):
    version: int
    event: str
    recorded: str
    business_date: str | None
    actor: str | None
    details: str


class HouseholdOnOut(BaseModel):
    date: str
    dossier: str
    status: str
    pay_day: int | str
    next_pay_date: str
    agreements: list[dict[str, Any]]


class HistoryOut(BaseModel):
    dossier: str
    events: list[EventOut]
    as_of: HouseholdOnOut | None


class AmountChanged(BaseModel):
    dossier: str
    agreement: str
    amount: str
    effective: str


class AgreementEnded(BaseModel):
    dossier: str
    agreement: str
    end: str


class LateCharge(BaseModel):
    agreement: str
    due: str
    amount: str


class PayDayChanged(BaseModel):
    dossier: str
    pay_day: int | str
    effective: str
    next_pay_date: str
    paid_late: list[LateCharge] = Field(
        description="charges due before the next pay date that the last cycle did not cover: "
                    "a pay day moved later pays them on the next pay date, late")


class ParticipationEnded(BaseModel):
    dossier: str
    end: str
    settlement_date: str | None = Field(
        description="the business day after the end, when the nightly job pays out what the household holds; "
                    "if the job has completed that day already, the day its next run does")


class ImportOut(BaseModel):
    files: int
    transactions: int
    new: int
    duplicates: int
    matched: int
    unmatched: int
    payments_confirmed: int
    payments_returned: int
    deviating: int
    import_id: str
    allow_unbalanced: bool
    unbalanced: list[str]


class PartyOut(BaseModel):
    name: str | None
    iban: str | None


class TransactionOut(BaseModel):
    transaction: str
    account: str
    booking_date: str
    value_date: str
    amount: str
    counterparty: PartyOut
    description: str
    end_to_end_id: str | None
    outcome: str
    dossier: str | None
    agreement: str | None
    reason: str | None
    candidates: list[str] = Field(description="'DOSSIER/agreement', best first (own team only for staff)")


class RunOut(BaseModel):
    through: str
    households_paid: int
    instructions: int
    total: str
    advanced: str
    repaid: str
    arrears: int
    payment_files: list[str]
    held: list[dict[str, str]] = []  # households whose payments could not be made: dossier, reason


class PaymentFileOut(BaseModel):
    name: str
    sha256: str
    count: int
    control_sum: str
    debtor_account: str
    message_id: str
    version: str
    instructions: int


class ProjectionOut(BaseModel):
    position: int
    newest_event: int
    events_behind: int


class LeftOut(BaseModel):
    dossier: str
    as_of: str
    data_as_of: str | None = Field(description="Newest value date of the account's imported statements")
    cycle: dict[str, str]
    leefgeld: dict[str, Any]
    incomes: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    buffer_owed: str
    reserves: dict[str, str]
    forecast: dict[str, str]
    projection: ProjectionOut


class SignalOut(BaseModel):
    id: str = Field(description="DOSSIER|rule:agreement:period")
    dossier: str
    team: str
    rule: str
    agreement: str | None
    period: str
    severity: str
    status: str
    amount: str
    raised_on: str
    changed_on: str
    details: dict[str, Any]
    history: list[dict[str, Any]]


class SignalChanged(BaseModel):
    signal: str
    status: Literal["acknowledged", "resolved"]


class SignalsImported(BaseModel):
    signals: int
    new: int
    known: int


class ReportOut(BaseModel):
    team: str | None
    month: str | None
    households: int
    open_signals: dict[str, int]
    open_signals_total: int
    buffer_outstanding: str
    arrears: dict[str, Any]
    households_with_shortfall_ahead: list[str]
    projection: ProjectionOut


# -- households -----------------------------------------------------------------------------


@router.post("/households", tags=["households"], status_code=201, response_model=Onboarded,
             summary="Onboard a household, or apply an edited onboarding document",
             description="The body is the onboarding document (as `hhb onboard` reads it), as JSON. "
                         "Amounts are text. 201 when the household is new; 200 when it was unchanged "
                         "or updated (exactly the events for what changed are written).",
             responses={200: {"model": Onboarded, "description": "Unchanged or updated"},
                        **WRITE_PROBLEMS})
def onboard(document: HouseholdDoc, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        spec = parse_document(document, UPLOAD)
        existing = call.ctx.engine.get_or_none(household_id(spec.dossier))
        if existing is not None and not may_see(call.who, existing.team):
            raise hidden(spec.dossier)
        if call.who.role in TEAM and spec.team != call.who.team:
            raise Problem(403, "Forbidden", f"a {call.who.role} onboards households of team "
                          f"{call.who.team} only", "team")
        [result] = call.ctx.services.onboard([(UPLOAD, spec)], call.actor)
        status = 201 if result.status == household_service.CREATED else 200
        return json_answer(Onboarded(**result.as_dict()), status,
                       f"{router.prefix}/households/{quote(result.dossier, safe='')}")

    return call.answer(action, "body")


@router.get("/teams", tags=["teams"], response_model=list[TeamOut],
            summary="The registered teams (hhb teams), with how participants reach them",
            responses=problems(403))
def list_teams(who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    return ctx.services.teams()


@router.get("/households", tags=["households"], response_model=list[HouseholdRow],
            summary="List households (staff and teamleads: their own team's)",
            responses=problems(403))
def list_households(who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    return ctx.services.households(who.team if who.role in TEAM else None)


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
        return json_answer(AgreementEnded(dossier=dossier, agreement=agreement, end=body.end.isoformat()))

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
def end_participation(dossier: DossierPath, body: EndIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.end_participation(call.ctx.engine, dossier, body.end, call.actor)
        return json_answer(ParticipationEnded(dossier=dossier, end=body.end.isoformat(), **outcome))

    return call.answer(action, "end")


class HeldReleased(BaseModel):
    dossier: str
    status: Literal["approved", "released"] = Field(
        description="approved: a first person approved; a second, different person must release it")
    amount: str
    approved_by: str
    released_by: str | None
    still_held: str


@router.post("/households/{dossier:path}/release", tags=["households"], response_model=HeldReleased,
             summary="Approve releasing leefgeld held above the participant ceiling (two different people)",
             responses=WRITE_PROBLEMS)
def release_held(dossier: DossierPath, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        outcome = household_service.release_held(call.ctx.engine, dossier, date.today(), call.actor)
        return json_answer(HeldReleased(**outcome))

    return call.answer(action, "dossier")


@router.get("/households/{dossier:path}", tags=["households"], response_model=HouseholdOut,
            summary="One household: settings, participants, agreements, money owed",
            responses=READ_PROBLEMS)
def get_household(dossier: DossierPath, who: Principal = role(*READERS),
                  ctx: Context = Depends(context)) -> Any:
    return ctx.services.household_detail(visible(ctx, who, dossier))


def overview_of(ctx: Context, dossier: str, month: str) -> HTMLResponse:
    with domain_errors("month"):
        data = followup.monthly_overview(ctx.engine, dossier, month)
    return HTMLResponse(render_html(data))


# -- bank statements and the unmatched queue --------------------------------------------------

_STATEMENT_BODY = {"requestBody": {"required": True, "description": "One camt.053 (XML) or MT940 file", "content": {
    "application/xml": {"schema": {"type": "string", "format": "binary"}},
    "text/plain": {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}}}


@router.post("/statements", tags=["statements"], response_model=ImportOut,
             summary="Import one bank statement file (camt.053 or MT940), all or nothing",
             description="The body is the file itself. Transactions already known are counted as "
                         "duplicates, so importing a file twice books nothing twice.",
             openapi_extra=_STATEMENT_BODY, responses=WRITE_PROBLEMS)
def import_statement(
    filename: Annotated[str, Query(min_length=1, max_length=200, description="Name for messages")] = "upload",
    allow_unbalanced: Annotated[bool, Query(description="Import even if the entries do not add up")] = False,
    call: Write = writer(JOB),
) -> Response:
    def action() -> Response:
        settings = call.ctx.settings
        parsed = parse_statement_bytes(call.body, filename, settings.max_statement_bytes,
                                       days_ahead=settings.value_days_ahead)
        result = call.ctx.services.import_statements(parsed, call.actor, allow_unbalanced)
        return json_answer(ImportOut(**result.as_dict()))

    return call.answer(action, "body")


@router.get("/unmatched", tags=["statements"], response_model=list[TransactionOut],
            summary="Bank transactions not booked automatically, with reasons and candidates",
            responses=problems(403))
def list_unmatched(who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    rows = ctx.services.unmatched()
    if who.role in TEAM:  # other teams' households are not named, not even as candidates
        own = {h["dossier"] for h in ctx.views.households(who.team)}
        for row in rows:
            row["candidates"] = [c for c in row["candidates"] if c.rsplit("/", 1)[0] in own]
    return rows


@router.post("/unmatched/{transaction}/book", tags=["statements"], response_model=TransactionOut,
             summary="Book a transaction by hand onto an income agreement", responses=WRITE_PROBLEMS)
def book(transaction: str, body: BookIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, body.dossier)
        recorded = statement_service.book(call.ctx.engine, transaction, body.dossier, body.agreement, call.actor)
        return json_answer(TransactionOut(**statement_service.to_dict(recorded)))

    return call.answer(action, "transaction", missing="transaction")


@router.post("/unmatched/{transaction}/ignore", tags=["statements"], response_model=TransactionOut,
             summary="Mark a transaction as not ours (bank costs, a stray payment)", responses=WRITE_PROBLEMS)
def ignore(transaction: str, body: ReasonIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_transaction(call, transaction)
        recorded = statement_service.ignore(call.ctx.engine, transaction, call.actor, body.reason or "not ours")
        return json_answer(TransactionOut(**statement_service.to_dict(recorded)))

    return call.answer(action, "transaction", missing="transaction")


@router.post("/unmatched/{transaction}/return", tags=["statements"], response_model=TransactionOut,
             summary="Accept a queued credit carrying our end-to-end id as the return of that payment",
             responses=WRITE_PROBLEMS)
def accept_return(transaction: str, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        echo = statement_service.echo_of(call.ctx.engine, transaction)
        if echo is not None:  # another team's payment is, to staff, not there
            check_own(call.ctx, call.who, echo[0], Problem(404, "Not found", f"no bank transaction {transaction}",
                                                           "transaction"))
        recorded = statement_service.accept_return(call.ctx.engine, transaction, call.actor)
        return json_answer(TransactionOut(**statement_service.to_dict(recorded)))

    return call.answer(action, "transaction", missing="transaction")


@router.post("/unmatched/{transaction}/undo", tags=["statements"], response_model=TransactionOut,
             summary="Undo a booking or an ignore: the transaction returns to the queue",
             responses=WRITE_PROBLEMS)
def undo(transaction: str, body: ReasonIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_transaction(call, transaction)
        recorded = statement_service.undo(call.ctx.engine, transaction, call.actor, body.reason or "undone by staff")
        return json_answer(TransactionOut(**statement_service.to_dict(recorded)))

    return call.answer(action, "transaction", missing="transaction")


def check_transaction(call: Write, ident: str) -> None:
    """A transaction booked onto another team's household is, to staff, not there."""
    _, recorded = statement_service.find_transaction(call.ctx.engine, ident)
    if recorded.dossier:
        check_own(call.ctx, call.who, recorded.dossier,
                  Problem(404, "Not found", f"no bank transaction {ident}", "transaction"))


# -- the pay date and payment files -----------------------------------------------------------


@router.post("/runs", tags=["runs"], response_model=RunOut,
             summary="Run the pay-date job for every day since the last completed run",
             description="Safe to repeat: a day already completed is not run again.",
             responses=WRITE_PROBLEMS)
def run(body: RunIn | None = None, call: Write = writer(JOB)) -> Response:
    def action() -> Response:
        summary = call.ctx.services.pay((body and body.date) or date.today())
        return json_answer(RunOut(**summary.as_dict()))

    return call.answer(action, "date")


@router.get("/payment-files", tags=["runs"], response_model=list[PaymentFileOut],
            summary="The payment files the runs have written", responses=problems(403))
def payment_files(who: Principal = role(JOB, AUDITOR), ctx: Context = Depends(context)) -> Any:
    return ctx.services.payment_files()


@router.get("/payment-files/{name}", tags=["runs"], response_class=Response,
            summary="Download a payment file (pain.001 XML)",
            responses={200: {"description": "The file", "content": {"application/xml": {}}},
                       **problems(403, 404, 409, 422)})
def payment_file(name: str, who: Principal = role(JOB, AUDITOR), ctx: Context = Depends(context)) -> Response:
    run_ = ctx.engine.get_or_none(Run.create_id())
    record = run_.files.get(name) if run_ else None  # only recorded names: no path from the request
    if record is None:
        raise Problem(404, "Not found", f"no payment file {name}", "name")
    directory = files_dir(ctx.settings.var_dir).resolve()
    path = (directory / record.name).resolve()
    data = path.read_bytes() if path.parent == directory and path.is_file() else None
    if data is None:
        raise Problem(404, "Not found", f"payment file {name} is recorded but not on disk; run again", "name")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise Problem(409, "Conflict", f"payment file {name} differs from the one recorded; do not send it")
    return Response(data, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{Path(record.name).name}"'})


# -- signals and reports ------------------------------------------------------------------------


@router.get("/signals", tags=["signals"], response_model=list[SignalOut],
            summary="Early signals, most urgent first (staff and teamleads: their own team's)",
            responses=problems(403, 422))
def signals(dossier: Annotated[str | None, Query(max_length=40)] = None,
            team: Annotated[str | None, Query(max_length=100)] = None,
            status: Literal["open", "acknowledged", "resolved"] | None = None,
            who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    if who.role in TEAM:
        if team and team != who.team:
            return []
        team = who.team
    return ctx.services.signals(dossier, team, status)


@router.post("/signals/import", tags=["signals"], response_model=SignalsImported,
             summary="Import creditors' reports of arrears (vroegsignalering), all or nothing",
             responses=WRITE_PROBLEMS)
def import_signals(report: CreditorSignals, call: Write = writer(JOB, *TEAM)) -> Response:
    def action() -> Response:
        data = report.model_dump(mode="json", by_alias=True)
        check_report(call, data["signals"])
        result = followup.import_creditor_signals(call.ctx.engine, data, UPLOAD, call.actor)
        return json_answer(SignalsImported(**result))

    return call.answer(action, "signals")


def check_report(call: Write, reports: list[dict[str, Any]]) -> None:
    """Staff report only on their own team's households; others read as unknown dossiers."""
    if call.who.role not in TEAM:
        return
    problems_ = []
    for index, item in enumerate(reports):
        try:
            check_own(call.ctx, call.who, item["dossier"])
        except Problem as problem:
            problems_.append((f"signals[{index}].dossier", problem.detail))
    if problems_:
        raise Problem(422, "Invalid document", "; ".join(f"{f}: {m}" for f, m in problems_), problems_[0][0],
                      {"errors": [{"field": f, "message": m} for f, m in problems_]})


@router.post("/signals/{signal:path}/acknowledge", tags=["signals"], response_model=SignalChanged,
             summary="Acknowledge a signal: someone is on it", responses=WRITE_PROBLEMS)
def acknowledge(signal: Annotated[str, PathParam(description="DOSSIER|rule:agreement:period")],
                body: NoteIn | None = None, call: Write = writer(*TEAM)) -> Response:
    return change_signal(call, signal, body, followup.acknowledge, "acknowledged")


@router.post("/signals/{signal:path}/resolve", tags=["signals"], response_model=SignalChanged,
             summary="Resolve a signal", responses=WRITE_PROBLEMS)
def resolve(signal: Annotated[str, PathParam(description="DOSSIER|rule:agreement:period")],
            body: NoteIn | None = None, call: Write = writer(*TEAM)) -> Response:
    return change_signal(call, signal, body, followup.resolve, "resolved")


def change_signal(call: Write, signal: str, body: NoteIn | None, command: Callable[..., None],
                  status: str) -> Response:
    def action() -> Response:
        dossier, _ = followup.split_signal_id(signal)
        check_own(call.ctx, call.who, dossier, Problem(404, "Not found", f"no signal {signal}", "signal"))
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


# -- participants ---------------------------------------------------------------------------------


@router.get("/me/left", tags=["participant"], response_model=LeftOut,
            summary="Participant: what's left this cycle for my own household",
            responses=problems(403, 404, 422))
def my_left(day: Annotated[BusinessDate | None, Query(alias="date")] = None,
            who: Principal = role(PARTICIPANT), ctx: Context = Depends(context)) -> Any:
    household = ctx.views.household(who.dossier or "")
    if household is None:
        raise hidden(who.dossier or "")
    return ctx.services.left(household, day)


@router.get("/me/overview", tags=["participant"], response_class=HTMLResponse,
            summary="Participant: my monthly overview (HTML)",
            responses={200: {"description": "The overview page", "content": {"text/html": {}}},
                       **problems(403, 404, 422)})
def my_overview(month: Annotated[str, Query(pattern=MONTH, examples=["2026-12"])],
                who: Principal = role(PARTICIPANT), ctx: Context = Depends(context)) -> HTMLResponse:
    return overview_of(ctx, who.dossier or "", month)


__all__ = ["router"]
