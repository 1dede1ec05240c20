"""A household's history as staff read it: one sentence per fact, with its date and actor
("12 nov 2026 · Anna Jansen · huur verhoogd naar € 735,00 vanaf 1 juli 2027"), in Dutch
or, when the staff app is switched to English, in English.

Read from the household's own events (`history.event_rows` gives the business date).
Every kind of household event has a sentence in both languages (`SENTENCES`; a test walks
every kind): the ones below with their amounts and dates, the others named by what
happened, never shown as code.
"""

from __future__ import annotations

from typing import Any

from huishoudboekje.domain.household import bookings_in
from huishoudboekje.engine import Engine
from huishoudboekje.history import event_rows
from huishoudboekje.projections.wording import euros

from .words import actor_name, long_day, rule_names, short_day

SENTENCES: dict[str, dict[str, str]] = {
    "nl": {
        "Onboarded": "aangemeld bij {team}, start {start}",
        "AgreementAdded.income": "inkomen {id} toegevoegd: {amount} ({counterparty})",
        "AgreementAdded.charge": "vaste last {id} toegevoegd: {amount} ({counterparty})",
        "AgreementAmountChanged": "{agreement} {done} naar {amount} vanaf {effective}",
        "AgreementEnded": "{agreement} beëindigd op {end}", "ParticipationEnded": "deelname beëindigd op {end}",
        "PayDayChanged": "betaaldag gewijzigd naar {pay_day} vanaf {effective}",
        "PayDateRun": "betaaldag {pay_date}: {count} betalingen, leefgeld {leefgeld}, voorschot {advanced}",
        "SignalRaised": "signaal: {rule} ({amount})", "ExternalSignalReceived": "signaal: {rule} ({amount})",
        "SignalCleared": "signaal vanzelf opgelost: {rule}", "SignalAcknowledged": "signaal opgepakt: {rule}{note}",
        "SignalResolved": "signaal opgelost: {rule}{note}", "DeductionBooked": "inhouding geboekt: {amount} ({kind})",
        "IncomeBooked": "inkomen geboekt: {amount} op {agreement}",
        "IncomesBooked": "inkomen geboekt: {amount} op {agreement}",
        "AgreementRevised": "afspraak aangepast", "SettingsChanged": "instellingen gewijzigd",
        "ChangesReplaced": "eerdere wijzigingen bewust vervangen", "BookingCorrected": "boeking gecorrigeerd",
        "BookingUndone": "boeking ongedaan gemaakt", "DeductionUndone": "inhouding ongedaan gemaakt",
        "DebtAdded": "schuld vastgelegd", "DebtUpdated": "schuld gecorrigeerd", "DebtClosed": "schuld afgesloten",
        "ArrangementAdded": "betalingsregeling afgesproken", "MoratoriumStarted": "moratorium gestart",
        "MoratoriumExtended": "moratorium verlengd", "ReferralRecorded": "doorverwezen naar schuldhulpverlening",
        "AgreementsSelfPaid": "deelnemer betaalt vaste lasten voortaan zelf",
        "PaymentEchoRefused": "terugboeking geweigerd", "PaymentConfirmed": "betaling bevestigd door de bank",
        "PaymentReturned": "betaling teruggekomen", "HeldReleaseApproved": "vrijgave leefgeld goedgekeurd",
        "HeldReleased": "vastgehouden leefgeld vrijgegeven", "PayDateSupplemented": "aanvulling na laat inkomen",
        "PaymentsHeld": "betalingen tegengehouden", "ConsentRecorded": "toestemming vastgelegd",
        "ConsentWithdrawn": "toestemming ingetrokken", "CustomerNumberSet": "klantnummer bij schuldeiser vastgelegd",
        "Erased": "persoonsgegevens verwijderd",
    },
    "en": {
        "Onboarded": "onboarded with {team}, start {start}",
        "AgreementAdded.income": "income {id} added: {amount} ({counterparty})",
        "AgreementAdded.charge": "fixed charge {id} added: {amount} ({counterparty})",
        "AgreementAmountChanged": "{agreement} {done} to {amount} from {effective}",
        "AgreementEnded": "{agreement} ended on {end}", "ParticipationEnded": "participation ended on {end}",
        "PayDayChanged": "pay day changed to {pay_day} from {effective}",
        "PayDateRun": "pay date {pay_date}: {count} payments, leefgeld {leefgeld}, advance {advanced}",
        "SignalRaised": "signal: {rule} ({amount})", "ExternalSignalReceived": "signal: {rule} ({amount})",
        "SignalCleared": "signal resolved by itself: {rule}", "SignalAcknowledged": "signal acknowledged: {rule}{note}",
        "SignalResolved": "signal resolved: {rule}{note}", "DeductionBooked": "deduction booked: {amount} ({kind})",
        "IncomeBooked": "income booked: {amount} on {agreement}",
        "IncomesBooked": "income booked: {amount} on {agreement}",
        "AgreementRevised": "agreement revised", "SettingsChanged": "settings changed",
        "ChangesReplaced": "earlier changes replaced on purpose", "BookingCorrected": "booking corrected",
        "BookingUndone": "booking undone", "DeductionUndone": "deduction undone",
        "DebtAdded": "debt recorded", "DebtUpdated": "debt corrected", "DebtClosed": "debt closed",
        "ArrangementAdded": "payment arrangement agreed", "MoratoriumStarted": "moratorium started",
        "MoratoriumExtended": "moratorium extended", "ReferralRecorded": "referred to debt counselling",
        "AgreementsSelfPaid": "participant pays fixed charges themselves from now on",
        "PaymentEchoRefused": "return refused", "PaymentConfirmed": "payment confirmed by the bank",
        "PaymentReturned": "payment returned", "HeldReleaseApproved": "release of leefgeld approved",
        "HeldReleased": "held leefgeld released", "PayDateSupplemented": "supplement after a late income",
        "PaymentsHeld": "payments held", "ConsentRecorded": "consent recorded",
        "ConsentWithdrawn": "consent withdrawn", "CustomerNumberSet": "customer number at the creditor recorded",
        "Erased": "personal data erased",
    },
}
AGREEMENT = {"nl": "afspraak", "en": "agreement"}


def _values(e: Any, name: str, lang: str, direction: int = 0) -> dict[str, Any]:
    """What the sentence of this kind of event names, written in `lang`."""
    def day(value: Any) -> str:
        return long_day(value, lang)

    def money(value: Any) -> str:
        return euros(value, lang)

    agreement = str(getattr(e, "agreement_id", "") or AGREEMENT[lang]).replace("-", " ")
    if name == "Onboarded":
        return {"team": getattr(e, "team", ""), "start": day(getattr(e, "start", None))}
    if name == "AgreementAdded":
        a = e.agreement
        return {"id": a.id.replace("-", " "), "amount": money(a.amount), "counterparty": a.counterparty.name}
    if name in ("AgreementAmountChanged", "AgreementEnded", "PayDayChanged", "ParticipationEnded", "IncomeBooked"):
        return {"agreement": agreement, "amount": money(getattr(e, "amount", "0.00")),
                "pay_day": _pay_day(getattr(e, "pay_day", ""), lang), "done": DONE[lang][direction], "effective": day(getattr(e, "effective", None)),
                "end": day(getattr(e, "end", None))}
    if name == "PayDateRun":
        return {"pay_date": day(e.pay_date), "count": len(e.instructions), "leefgeld": money(e.leefgeld),
                "advanced": money(e.advanced)}
    if name in ("SignalRaised", "ExternalSignalReceived"):
        return {"rule": rule_names(lang).get(e.signal.rule, e.signal.rule).lower(), "amount": money(e.signal.amount)}
    if name in ("SignalCleared", "SignalAcknowledged", "SignalResolved"):
        return {"rule": rule_names(lang).get(e.key.split(":")[0], e.key).lower(),
                "note": f" — {e.note}" if getattr(e, "note", "") else ""}
    if name == "DeductionBooked":
        return {"amount": money(e.amount), "kind": e.kind}
    return {}


DONE = {"nl": {1: "verhoogd", -1: "verlaagd", 0: "gewijzigd"}, "en": {1: "raised", -1: "lowered", 0: "changed"}}


def _pay_day(pay_day: Any, lang: str) -> str:
    if pay_day == "last-business-day":
        return "de laatste werkdag" if lang == "nl" else "the last business day"
    if pay_day in ("", None):
        return ""
    return f"de {pay_day}e" if lang == "nl" else f"day {pay_day}"


def sentence(event: Any, name: str, lang: str = "nl", direction: int = 0) -> str:
    """What one event did, in Dutch (or English)."""
    lang = "en" if lang == "en" else "nl"
    key = f"{name}.{'income' if event.agreement.kind == 'income' else 'charge'}" if name == "AgreementAdded" else name
    template = SENTENCES[lang].get(key)
    if template is None:  # a kind without words yet (the test of every kind says so): its name
        return name
    return template.format(**_values(event, name, lang, direction))


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


def history(engine: Engine, household_id: Any, lang: str = "nl") -> list[dict[str, str]]:
    """Newest first: {"day", "actor", "text"}."""
    lang = "en" if lang == "en" else "nl"
    rows = []
    amounts = _Amounts()
    for event in engine.events.get(household_id):
        shown = event_rows(event)
        name = type(event).__qualname__.split(".")[-1]
        if name == "IncomesBooked":
            for booking, row in zip(bookings_in(event), shown):
                text = SENTENCES[lang][name].format(amount=euros(booking.amount, lang),
                                                    agreement=str(booking.agreement_id).replace("-", " "))
                rows.append({"day": short_day(row["business_date"] or row["recorded"][:10], lang),
                             "actor": actor_name(row["actor"], lang), "text": text, "order": row["recorded"]})
            continue
        row = shown[0]
        text = sentence(event, name, lang, amounts.direction(event, name))
        rows.append({"day": short_day(row["business_date"] or row["recorded"][:10], lang),
                     "actor": actor_name(row["actor"], lang), "text": text,
                     "order": row["recorded"]})
    return list(reversed(rows))
