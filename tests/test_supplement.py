"""An income that came too late for its pay date is used as if it had been in time (issue 18)."""

from __future__ import annotations

from datetime import date, timedelta

from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money

START = date(2026, 11, 1)
PARTICIPANT = "NL44RABO0123456789"
ACCOUNT = "NL39BNGH0285009999"


def household(weekly: bool = False, income: str = "1200.00", income_day: int = 1,
              charges: str = "850.00", minimum: str = "250.00", limit: str = "1500.00") -> Household:
    from huishoudboekje.domain.schedule import Schedule

    h = Household(dossier="HHB-LATE", team="T", start=START, pay_day=1, buffer_limit=Money(limit),
                  minimum_leefgeld=Money(minimum), leefgeld_schedule="weekly" if weekly else "monthly",
                  execute_on="pay-date", participants=[Participant("P", PARTICIPANT)], account=None, actor="t")
    h.add_agreement(Agreement(id="huur", kind=CHARGE, category="huur",
                              counterparty=Counterparty("Verhuurder", "NL20INGB0001234567"),
                              amounts=(AmountFrom(START, Money(charges)),),
                              schedule=Schedule(every="month", start=START, day=1), priority=1), "t")
    h.add_agreement(Agreement(id="uitkering", kind=INCOME, category="bijstand",
                              counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
                              amounts=(AmountFrom(START, Money(income)),),
                              schedule=Schedule(every="month", start=START, day=income_day)), "t")
    return h
