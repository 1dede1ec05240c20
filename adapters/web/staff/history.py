"""A household's history as staff read it: one Dutch sentence per fact, with its date and
actor ("12 nov 2026 · Anna Jansen · huur verhoogd naar € 735,00 vanaf 1 juli 2027").

Read from the household's own events (`history.event_rows` gives the business date);
an event without a sentence of its own is named by what happened, never shown as code.
"""

from __future__ import annotations

from typing import Any

from huishoudboekje.domain.household import bookings_in
from huishoudboekje.engine import Engine
from huishoudboekje.history import event_rows
from huishoudboekje.projections.wording import euros

from .words import RULE_NAMES, actor_name, long_day, short_day

NAMES = {  # what happened, for events without a sentence of their own
    "AgreementRevised": "afspraak aangepast", "SettingsChanged": "instellingen gewijzigd",
    "ChangesReplaced": "eerdere wijzigingen bewust vervangen", "BookingCorrected": "boeking gecorrigeerd",
    "BookingUndone": "boeking ongedaan gemaakt", "DeductionUndone": "inhouding ongedaan gemaakt",
    "DebtAdded": "schuld vastgelegd", "DebtUpdated": "schuld gecorrigeerd", "DebtClosed": "schuld afgesloten",
    "ArrangementAdded": "betalingsregeling afgesproken", "MoratoriumStarted": "moratorium gestart",
    "MoratoriumExtended": "moratorium verlengd", "ReferralRecorded": "doorverwezen naar schuldhulpverlening",
    "AgreementsSelfPaid": "deelnemer betaalt vaste lasten voortaan zelf", "PaymentEchoRefused":
    "terugboeking geweigerd", "PaymentConfirmed": "betaling bevestigd door de bank",
    "PaymentReturned": "betaling teruggekomen", "HeldReleaseApproved": "vrijgave leefgeld goedgekeurd",
    "HeldReleased": "vastgehouden leefgeld vrijgegeven", "PayDateSupplemented": "aanvulling na laat inkomen",
    "PaymentsHeld": "betalingen tegengehouden", "ExternalSignalReceived": "melding van schuldeiser ontvangen",
}


def _agreement(event: Any) -> str:
    return str(getattr(event, "agreement_id", "") or "afspraak").replace("-", " ")


def sentence(event: Any, name: str, direction: int = 0) -> str:
    """What one event did, in Dutch; `direction`: for a new amount, 1 up, -1 down, 0 unknown."""
    e = event
    if name == "Onboarded":
        return f"aangemeld bij {getattr(e, 'team', '')}, start {long_day(getattr(e, 'start', None))}"
    if name == "AgreementAdded":
        a = e.agreement
        kind = "inkomen" if a.kind == "income" else "vaste last"
        return f"{kind} {a.id.replace('-', ' ')} toegevoegd: {euros(a.amount, 'nl')} ({a.counterparty.name})"
    if name == "AgreementAmountChanged":
        done = {1: "verhoogd", -1: "verlaagd"}.get(direction, "gewijzigd")
        return f"{_agreement(e)} {done} naar {euros(e.amount, 'nl')} vanaf {long_day(e.effective)}"
    if name == "AgreementEnded":
        return f"{_agreement(e)} beëindigd op {long_day(e.end)}"
    if name == "PayDayChanged":
        day = "de laatste werkdag" if e.pay_day == "last-business-day" else f"de {e.pay_day}e"
        return f"betaaldag gewijzigd naar {day} vanaf {long_day(e.effective)}"
    if name == "ParticipationEnded":
        return f"deelname beëindigd op {long_day(e.end)}"
    if name == "PayDateRun":
        return (f"betaaldag {long_day(e.pay_date)}: {len(e.instructions)} betalingen, leefgeld "
                f"{euros(e.leefgeld, 'nl')}, voorschot {euros(e.advanced, 'nl')}")
    if name in ("SignalRaised", "ExternalSignalReceived"):
        return f"signaal: {RULE_NAMES.get(e.signal.rule, e.signal.rule).lower()} ({euros(e.signal.amount, 'nl')})"
    if name == "SignalCleared":
        return f"signaal vanzelf opgelost: {RULE_NAMES.get(e.key.split(':')[0], e.key).lower()}"
    if name in ("SignalAcknowledged", "SignalResolved"):
        done = "opgepakt" if name == "SignalAcknowledged" else "opgelost"
        note = f" — {e.note}" if getattr(e, "note", "") else ""
        return f"signaal {done}: {RULE_NAMES.get(e.key.split(':')[0], e.key).lower()}{note}"
    if name == "DeductionBooked":
        return f"inhouding geboekt: {euros(e.amount, 'nl')} ({e.kind})"
    return NAMES.get(name, name)


class _Amounts:
    """Each agreement's amounts as the events so far set them, to say whether a new
    amount raises or lowers it ("huur verhoogd naar € 735,00")."""

    def __init__(self) -> None:
        self.agreements: dict[str, Any] = {}
        self.steps: dict[str, list[tuple[Any, Any]]] = {}

    def direction(self, event: Any, name: str) -> int:
        if name in ("AgreementAdded", "AgreementRevised"):
            self.agreements[event.agreement.id] = event.agreement
            self.steps.pop(event.agreement.id, None)
            return 0
        if name != "AgreementAmountChanged":
            return 0
        agreement, steps = self.agreements.get(event.agreement_id), self.steps.setdefault(event.agreement_id, [])
        earlier = [amount for day, amount in steps if day <= event.effective]
        was = earlier[-1] if earlier else agreement.amount_on(event.effective) if agreement else None
        steps.append((event.effective, event.amount))
        steps.sort(key=lambda step: step[0])
        if was is None or was == event.amount:
            return 0
        return 1 if event.amount > was else -1


def history(engine: Engine, household_id: Any) -> list[dict[str, str]]:
    """Newest first: {"day", "actor", "text"}."""
    rows = []
    amounts = _Amounts()
    for event in engine.events.get(household_id):
        shown = event_rows(event)
        name = type(event).__qualname__.split(".")[-1]
        if name == "IncomesBooked":
            for booking, row in zip(bookings_in(event), shown):
                rows.append({"day": short_day(row["business_date"] or row["recorded"][:10]),
                             "actor": actor_name(row["actor"]),
                             "text": f"inkomen geboekt: {euros(booking.amount, 'nl')} op "
                                     f"{str(booking.agreement_id).replace('-', ' ')}",
                             "order": row["recorded"]})
            continue
        row = shown[0]
        rows.append({"day": short_day(row["business_date"] or row["recorded"][:10]),
                     "actor": actor_name(row["actor"]), "text": sentence(event, name, amounts.direction(event, name)),
                     "order": row["recorded"]})
    return list(reversed(rows))
