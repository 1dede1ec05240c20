"""Staff API: the managed accounts against the bank (the daily balance check, the
month's journal), for the team lead, finance staff and the auditor."""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query

from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, FINANCE, TEAMLEAD
from huishoudboekje.domain.iban import Iban, IbanError

from ..dependencies import Context, context, role
from ..errors import Problem, domain_errors
from ..models import problems

router = APIRouter(prefix="/api/v1")


@router.get("/balance", tags=["treasury"], summary="The daily balance check (kasaansluiting)",
            description="Per managed account: the bank's closing balance of its last statement (on or before "
                        "`date`), the engine's own account of that money term by term, the open items and the "
                        "unexplained difference.",
            responses=problems(403, 422))
def balance(account: Optional[str] = Query(None, description="One managed account (IBAN)"),
            on: Optional[date] = Query(None, alias="date"),
            who: Principal = role(TEAMLEAD, FINANCE, AUDITOR), ctx: Context = Depends(context)) -> dict[str, Any]:
    iban = None
    if account is not None:
        try:
            iban = str(Iban(account))
        except IbanError as exc:
            raise Problem(422, "Invalid account", f"account {account}: {exc}", "account") from None
    with domain_errors("account"):
        return ctx.services.balance(iban, on)


@router.get("/journal", tags=["treasury"], summary="A month's journal for the accountant",
            description="One line per euro movement the bank booked in the month, with the household it is of; "
                        "per account the lines add up to the month's statements.",
            responses=problems(403, 422))
def journal(month: str = Query(..., description="YYYY-MM"),
            who: Principal = role(TEAMLEAD, FINANCE, AUDITOR), ctx: Context = Depends(context)) -> dict[str, Any]:
    with domain_errors("month"):
        return ctx.services.journal(month)
