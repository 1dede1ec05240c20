"""A participant's own data as a printable document in plain Dutch (B1), made from the
answer of `huishoudboekje/subject_access.py`; the PDF is printed the way the monthly
overview is (`overview.render_pdf`, headless Chromium)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader

from .access_log import LINK_CREATED, LINK_REVOKED
from .overview import WEB, agreement_name
from .web.words import day_words, money

_env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True)

W = {
    "title": "Wat wij over u bewaren",
    "intro": "Dit is alles wat de gemeente in het huishoudboekje over u en uw huishouden bewaart. U hebt "
             "het recht om dit te zien. Klopt er iets niet? Neem dan contact op met uw wijkteam.",
    "made_on": "Gemaakt op",
    "outro": "Alle wijzigingen staan ook, met datum en naam van de medewerker, in het bestand voor computers "
             "(JSON). Vraag uw wijkteam ernaar.",
}
WAYS = {"signed-form": "met een getekend formulier", "in-person": "in een gesprek", "digital": "digitaal",
        "by-phone": "aan de telefoon", "other": "op een andere manier"}
PAID = {"scheduled": "opdracht aan de bank gegeven", "confirmed": "betaald", "returned": "teruggekomen"}
LINES = {"booked": "Geld voor u binnengekomen", "confirmation": "Betaling voor u uitgevoerd",
         "return": "Betaling teruggekomen", "deduction": "Van uw geld afgeschreven", "debit": "Afgeschreven"}
SIGNAL = {"open": "open", "acknowledged": "gezien door uw wijkteam", "resolved": "opgelost"}


def render_html(data: dict[str, Any], zone: ZoneInfo = ZoneInfo("Europe/Amsterdam")) -> str:
    """`zone`: the municipality's (HHB_TIMEZONE), for the moments in the access log."""
    day = _days()
    return _env.get_template("subject_access.html").render(
        w=W, data=data, made_on=day(data["made_on"]), sections=sections(data, zone))


def sections(data: dict[str, Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    day, euro = _days(), (lambda amount: money(amount, "nl"))
    erased = [_section("Uw persoonsgegevens zijn verwijderd", [
        f"Op {day(data['erased_on'])} hebben wij uw naam, adres, rekeningnummers, contactgegevens en de notities "
        "van uw wijkteam verwijderd. Waar nu [verwijderd] staat, stond eerst een gegeven over u.",
        "Wat hieronder nog staat, moeten wij van de wet bewaren: bedragen en data, zonder wie u bent."], "")
    ] if data.get("erased_on") else []
    return erased + [
        _section("Uw gegevens", _facts(data, day), "—"),
        _section("Personen", [f"{p['name']}, rekeningnummer {p['iban']}"
                              + (f", contact {p['contact']}" if p.get("contact") else "")
                              for p in data["participants"]], "—"),
        _section("Uw toestemming", _consent(data["consent"], day),
                 "Wij hebben niet opgeschreven wanneer u toestemming gaf."),
        _section("Uw afspraken", [_agreement(a, euro) for a in data["agreements"]], "U hebt geen afspraken."),
        _section("Wat wij voor u betaalden", [
            f"{day(p['execution_date'])}: {euro(p['amount'])} aan {p['creditor_name']} ({p['creditor_iban']}), "
            f"{PAID.get(p['status'], p['status'])}. Kenmerk {p['end_to_end_id']}" for p in data["payments"]],
            "Wij hebben nog niets voor u betaald."),
        _section("Regels van de bank over u", [
            f"{day(t['booking_date'])}: {LINES.get(t['outcome'], t['outcome'])}, {euro(t['amount'].lstrip('-'))}"
            f" {'van' if not t['amount'].startswith('-') else 'aan'} {t['counterparty_name'] or 'onbekend'}"
            f" ({t['counterparty_iban'] or '-'}): {t['description']}" for t in data["statement_lines"]],
            "Er zijn geen regels van de bank over u."),
        _section("Signalen", [f"Signaal {s['rule']} ({s['period']}), {SIGNAL.get(s['status'], s['status'])} "
                              f"sinds {day(s['changed_on'])}. Code {s['key']}" for s in data["signals"]],
                 "Er zijn geen signalen."),
        _section("Notities van uw wijkteam", [f"{day(n['on'])}, {n['by']}: {n['note']}" for n in data["notes"]],
                 "Er zijn geen notities."),
        _section("Schulden en regelingen", [
            f"Schuld {d['debt']} bij {d['creditor']}: {euro(d['amount'])}, nog open {euro(d['remaining'])}"
            for d in data["debts"]] + [
            f"Regeling {r['arrangement']}: {euro(r['monthly'])} per maand vanaf {day(r['from'])}"
            for r in data["arrangements"]], "Er zijn geen schulden of regelingen."),
        _section("Wie uw gegevens bekeek", [f"{_moment(e['at'], zone)}: {e['actor']} {_action(e['action'])}"
                                            for e in data["access_log"]], "Niemand."),
    ]


def _section(title: str, lines: list[str], empty: str) -> dict[str, Any]:
    return {"title": title, "lines": lines, "empty": empty}


def _facts(data: dict[str, Any], day: Callable[[str], str]) -> list[str]:
    h = data["household"]
    facts = [f"Dossiernummer: {data['dossier']}", f"Wijkteam: {h['team']}",
             f"Begonnen op: {day(h['start'])}"]
    if h.get("coach"):
        facts.append(f"Budgetcoach: {h['coach']}")
    if h.get("end"):
        facts.append(f"Gestopt op: {day(h['end'])}")
    notices = data.get("notices") or {}
    if notices.get("address"):
        facts.append(f"Berichten naar: {notices['address']}")
    return facts


def _consent(consent: dict[str, Any] | None, day: Callable[[str], str]) -> list[str]:
    if not consent:
        return []
    lines = [f"U gaf toestemming op {day(consent['on'])}, {WAYS.get(consent['way'], consent['way'])}."]
    if consent.get("withdrawn"):
        lines.append(f"U trok uw toestemming in op {day(consent['withdrawn'])}. Toen stopte het huishoudboekje.")
    return lines


def _agreement(a: dict[str, Any], euro: Callable[[str], str]) -> str:
    income = a["kind"] == "income"
    who = a["counterparty"]
    return (f"{agreement_name(a['id'], 'nl')} ({'inkomen' if income else 'vaste last'}): {euro(a['amount'])} "
            f"{'van' if income else 'aan'} {who['name']} ({who['iban']}). Afspraak {a['id']}")


def _action(action: str) -> str:
    """What someone did with the data, in words (the log keeps the command or page's name)."""
    if action.startswith(LINK_CREATED):
        return "maakte een persoonlijke link voor u"
    if action.startswith(LINK_REVOKED):
        return "zette uw persoonlijke link uit"
    if action.startswith("hhb erase"):
        return "verwijderde uw persoonsgegevens"
    if action.startswith("hhb subject-access") or action.endswith("/subject-access"):
        return "maakte dit overzicht"
    if action.startswith("hhb "):
        return "bekeek uw gegevens in het beheerprogramma"
    if "/medewerker/" in action:
        return "bekeek uw gegevens op de website voor medewerkers"
    return "bekeek uw gegevens via een gekoppeld programma"


def _moment(at: str, zone: ZoneInfo) -> str:
    local = datetime.fromisoformat(at).astimezone(zone)
    return f"{day_words(local.date(), 'nl', weekday=False, year=True)} om {local:%H.%M} uur"


def _days() -> Callable[[str], str]:
    return lambda value: day_words(value, "nl", weekday=False, year=True)
