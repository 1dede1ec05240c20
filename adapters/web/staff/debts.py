"""A household's debts, arrangements, referrals, moratoria and self-paid charges as the
sentences a coach reads on its page (issue 23: "the same in the staff web app")."""

from __future__ import annotations

from datetime import date
from typing import Any

from huishoudboekje import debts as debt_service
from huishoudboekje.domain.arrangements import ACTIVE
from huishoudboekje.domain.debts import ENGINE_ARREARS, OPEN
from huishoudboekje.domain.household import Household
from huishoudboekje.projections.wording import euros

from .words import long_day


def debt_lines(household: Household, today: date, m: dict[str, str]) -> dict[str, list[str]]:
    """Each debt with what is still open and its status; each arrangement with its terms;
    then the situation around them (referral, moratorium, what the participant pays)."""
    debts = []
    for row in household.debt_rows(today):
        line = m["debt_line"].format(creditor=row["creditor"], kind=row["kind"], remaining=euros(row["remaining"], "nl"),
                                     amount=euros(row["amount"], "nl"), since=long_day(row["since"]))
        if row["source"] == ENGINE_ARREARS:
            line += f" · {m['debt_engine']}"
        if row["status"] != OPEN:
            line += f" · {m['debt_closed']}"
        elif row["frozen"]:
            line += " · " + m["debt_frozen"].format(day=long_day(row["frozen_until"]))
        debts.append(line)
    arrangements = [
        m["arrangement_line"].format(monthly=euros(a["monthly"], "nl"), start=long_day(a["from"]),
                                     paid=a["paid_terms"], missed=a["missed"])
        + (f" · {m['arrangement_ended']}" if a["status"] != ACTIVE else "")
        for a in household.arrangement_rows()]
    situation = debt_service.debt_situation(household, today)
    around = [m["referral_line"].format(organisation=r["organisation"], day=long_day(r["on"]))
              for r in situation["referrals"]]
    around += [m["moratorium_line"].format(start=long_day(r["from"]), until=long_day(r["until"]), reason=r["reason"])
               for r in situation["moratoria"]]
    around += [m["self_paid_line"].format(day=long_day(p["from"]), creditor=p["creditor"],
                                          amount=euros(p["amount"], "nl")) for p in situation["self_paid"]]
    return {"debts": debts, "arrangements": arrangements, "around": around}
