"""Staff API: bank statements and the unmatched queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from huishoudboekje import deductions as deduction_service
from huishoudboekje import statements as statement_service
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import JOB

from ...statements import parse_statement_bytes
from ..dependencies import READERS, TEAM, Context, check_own, context, role
from ..errors import Problem
from ..idempotency import Write, json_answer, writer
from ..models import WRITE_PROBLEMS, BookIn, DeductionIn, ImportOut, ReasonIn, TransactionOut, problems

router = APIRouter(prefix="/api/v1")



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


@router.post("/unmatched/{transaction}/deduct", tags=["statements"], response_model=TransactionOut,
             summary="Book a debit someone else made as a deduction from a household's money",
             description="The tax office's set-off (verrekening), a garnishment (beslag), bank costs or anything "
                         "else: it comes off the household's pot at once, what the pot cannot cover off its next "
                         "pay date, and the household's coach gets a signal. `undo` gives it back.",
             responses=WRITE_PROBLEMS)
def deduct(transaction: str, body: DeductionIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, body.dossier)
        recorded = deduction_service.book(call.ctx.engine, transaction, body.dossier, body.kind, body.agreement,
                                          call.actor)
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
