"""The monthly overview as a printable page: one template (`web/templates/overview.html`)
for Dutch and English in the participant page's styling, served at `/p/<link>/overzicht`
(with the stylesheet linked and a way back) and written by `hhb overview` and the staff
API (the stylesheet inlined, so the file stands on its own); the PDF through headless
Chromium, on A4 (the stylesheet's `@page { size: A4 }`)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from huishoudboekje.domain.cycle import LEEFGELD_RESERVE
from huishoudboekje.domain.household import HouseholdError
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.wording import deduction_text

from .web.words import LABELS, MESSAGES, day_words, money, month_words

WEB = Path(__file__).parent / "web"
_env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True)

# What the overview says beyond the page's words (MESSAGES); Dutch at B1 level.
WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Overzicht {month}",
        "heading": "Uw overzicht van {month}",
        "name": "Naam",
        "dossier": "Dossiernummer",
        "period": "Periode",
        "period_text": "{first} tot en met {last}",
        "made_on": "Gemaakt op",
        "came_in": "Wat er binnenkwam",
        "came_in_none": "Deze maand kwam er geen geld binnen.",
        "deducted": "Wat er van uw geld af ging",
        "deducted_on": "Afgeschreven op {day}.",
        "from": "Van {name}",
        "received": "Binnengekomen op {day}",
        "kept_row": "Bewaard voor de betaaldag van {day}",
        "total": "Samen",
        "kept": "Bewaard voor de volgende betaaldag",
        "kept_why": "Wij betalen alles op één dag per maand: de betaaldag. Geld dat na de betaaldag "
                    "binnenkomt, bewaren wij tot de volgende betaaldag.",
        "kept_line": "Wij bewaren {amount} voor de betaaldag van {day}. Op die dag betalen wij daarvan "
                     "uw vaste lasten en uw leefgeld.",
        "kept_used": "Wij bewaarden {amount} voor de betaaldag van {day}. Op die dag zijn daarvan uw vaste "
                     "lasten en uw leefgeld betaald.",
        "on_hold": "Wij houden {amount} leefgeld nog even vast. Het is een groot bedrag. Daarom moeten "
                   "twee medewerkers het eerst goedkeuren.",
        "paid": "Wat wij voor u betaalden",
        "paid_planned": "Wat wij voor u betalen",
        "paid_none": "Deze maand zijn er geen vaste lasten betaald.",
        "to": "Aan {name}",
        "arrears": "{what} (achterstand)",
        "planned": "Gepland op {day}. Nog niet betaald.",
        "sent": "Opdracht aan de bank gegeven op {day}",
        "done": "Betaald op {day}",
        "returned": "Teruggekomen. Neem contact op met uw wijkteam.",
        "of_which_planned": "Daarvan nog gepland: {amount}",
        "leefgeld": "Uw leefgeld",
        "leefgeld_row": "Leefgeld",
        "leefgeld_none": "Deze maand bleef er na de vaste lasten geen geld over voor leefgeld.",
        "leefgeld_no_pay_date": "Deze maand had u nog geen betaaldag. Daarom kreeg u deze maand geen leefgeld.",
        "reserves": "Wij sparen voor u",
        "reserves_intro": "Sommige rekeningen komen niet elke maand. Daar zetten wij elke maand een deel "
                          "voor opzij. Na de betaaldag stond er opzij:",
        "reserves_none": "Er staat geen geld opzij voor rekeningen die niet elke maand komen.",
        "reserves_no_pay_date": "Deze maand had u geen betaaldag. Er is nog niets opzij gezet.",
        "leefgeld_reserve": "Uw leefgeld voor later",
        "saved": "Gespaard",
        "advance": "Voorschot van de gemeente",
        "advance_what": "Een voorschot is geld dat de gemeente voor u betaalt als er te weinig binnenkomt. "
                        "U betaalt het later vanzelf terug.",
        "advanced": "Deze maand betaalde de gemeente {amount} voor u voor. Zo zijn uw vaste lasten op tijd "
                    "betaald.",
        "repaid": "Deze maand is {amount} van het voorschot terugbetaald.",
        "owed": "U moet nog {amount} terugbetalen. Dat gaat vanzelf. U houdt altijd genoeg leefgeld over.",
        "owed_none": "U heeft geen voorschot meer open staan.",
        "contact": "Contact",
        "phone": "Telefoon",
        "hours": "Bereikbaar",
        "email": "E-mail",
        "coach": "Uw contactpersoon",
        "questions": "Heeft u vragen? Neem contact op met {team}.",
        "other_lang": "English",
    },
    "en": {
        "title": "Overview {month}",
        "heading": "Your overview of {month}",
        "name": "Name",
        "dossier": "File number",
        "period": "Period",
        "period_text": "{first} to {last}",
        "made_on": "Made on",
        "came_in": "What came in",
        "came_in_none": "No money came in this month.",
        "deducted": "What was taken from your money",
        "deducted_on": "Taken on {day}.",
        "from": "From {name}",
        "received": "Received on {day}",
        "kept_row": "Kept for the pay date of {day}",
        "total": "Total",
        "kept": "Kept for the next pay date",
        "kept_why": "We pay everything on one day each month: the pay date. Money that comes in after "
                    "the pay date is kept until the next pay date.",
        "kept_line": "We keep {amount} for the pay date of {day}. On that day we pay your fixed bills and "
                     "your leefgeld from it.",
        "kept_used": "We kept {amount} for the pay date of {day}. On that day your fixed bills and your "
                     "leefgeld were paid from it.",
        "on_hold": "We are holding {amount} of leefgeld for now. It is a large amount, so two members of "
                   "staff must approve it first.",
        "paid": "What we paid for you",
        "paid_planned": "What we pay for you",
        "paid_none": "No fixed bills were paid this month.",
        "to": "To {name}",
        "arrears": "{what} (was overdue)",
        "planned": "Planned for {day}. Not paid yet.",
        "sent": "Sent to the bank on {day}",
        "done": "Paid on {day}",
        "returned": "The payment came back. Please contact your neighbourhood team.",
        "of_which_planned": "Of which still planned: {amount}",
        "leefgeld": "Your leefgeld (money to live on)",
        "leefgeld_row": "Leefgeld",
        "leefgeld_none": "This month no money was left for leefgeld after the fixed bills.",
        "leefgeld_no_pay_date": "You had no pay date yet this month, so there was no leefgeld this month.",
        "reserves": "We save for you",
        "reserves_intro": "Some bills do not come every month. We put part of the money aside every month. "
                          "After the pay date this was set aside:",
        "reserves_none": "No money is set aside for bills that do not come every month.",
        "reserves_no_pay_date": "You had no pay date this month. Nothing has been set aside yet.",
        "leefgeld_reserve": "Your leefgeld for later",
        "saved": "Saved",
        "advance": "Advance from the municipality",
        "advance_what": "An advance is money the municipality pays for you when too little comes in. "
                        "You pay it back later, automatically.",
        "advanced": "This month the municipality paid {amount} in advance for you, so your fixed bills were "
                    "paid on time.",
        "repaid": "This month {amount} of the advance was paid back.",
        "owed": "You still have to pay back {amount}. This happens automatically; you always keep enough "
                "leefgeld.",
        "owed_none": "You do not owe an advance any more.",
        "contact": "Contact",
        "phone": "Phone",
        "hours": "Open",
        "email": "E-mail",
        "coach": "Your contact person",
        "questions": "Any questions? Please contact {team}.",
        "other_lang": "Nederlands",
    },
}
TONES = {"planned": "coming", "sent": "coming", "paid": "done", "returned": "attention"}


def agreement_name(agreement: str, lang: str) -> str:
    """An income or charge by its agreement (Huurtoeslag, Kindgebonden budget), not its
    category (three allowances are all 'toeslag')."""
    key = agreement.lower().replace("_", "-")
    return LABELS[lang].get(key) or key.replace("-", " ").capitalize()


def view(overview: dict[str, Any], lang: str) -> dict[str, Any]:
    """Everything the template shows, in words: the template only lays it out."""
    w = WORDS[lang]

    def day(value: date) -> str:
        return day_words(value, lang, weekday=False, year=True)

    def euro(value: Money) -> str:
        return money(value, lang)

    first = overview["month"]
    last = date.fromordinal(date(first.year + (first.month == 12), first.month % 12 + 1, 1).toordinal() - 1)
    came_in = [{"title": agreement_name(r["agreement"], lang), "amount": euro(r["amount"]),
                "who": w["from"].format(name=r["from"]) if r["from"] else "",
                "status": (w["received"].format(day=day(r["date"])) + (
                    ". " + w["kept_row"].format(day=day(r["kept_for"])) if r["kept_for"] else "")),
                "tone": "done"} for r in overview.get("came_in", [])]

    def payment(r: dict[str, Any], title: str) -> dict[str, str]:
        status = r["status"]
        text = w["returned"] if status == "returned" else \
            w[{"planned": "planned", "sent": "sent", "paid": "done"}[status]].format(day=day(r["status_date"]))
        return {"title": title, "amount": euro(r["amount"]), "who": w["to"].format(name=r["to"]),
                "status": text, "tone": TONES[status]}

    paid = [payment(r, (w["arrears"] if r["kind"] == "arrears" else "{what}").format(
        what=agreement_name(r["what"], lang))) for r in overview["paid"]]
    leefgeld = [payment(r, w["leefgeld_row"]) for r in overview["leefgeld"]]
    no_pay_date = not overview["pay_dates"]
    kept, reserves, advance, contact = _kept_lines(overview, w, euro, day), _reserve_rows(overview, w, euro, lang), \
        _advance_lines(overview, w, euro), overview.get("contact")
    return {
        "w": w,
        "title": w["title"].format(month=month_words(first, lang)),
        "heading": w["heading"].format(month=month_words(first, lang)),
        "facts": [(w["name"], overview["participant"]), (w["dossier"], overview["dossier"]),
                  (w["period"], w["period_text"].format(first=day(first), last=day(last))),
                  (w["made_on"], day(overview["made_on"]))],
        "contact": contact and {
            "team": contact.get("team") or overview.get("team", ""),
            "lines": [(w[key], contact[key]) for key in ("coach", "phone", "hours", "email") if contact.get(key)]},
        "questions": w["questions"].format(team=overview["team"]),
        "came_in": came_in,
        "total_in": euro(overview["total_in"]),
        **_deducted(overview, w, euro, day, lang),
        "kept": kept,
        "paid_heading": w["paid_planned"] if overview["planned_paid"].is_positive else w["paid"],
        "paid": paid,
        "total_paid": euro(overview["total_paid"]),
        "planned_paid": w["of_which_planned"].format(amount=euro(overview["planned_paid"]))
        if overview["planned_paid"].is_positive else "",
        "leefgeld": leefgeld,
        "leefgeld_none": w["leefgeld_no_pay_date" if no_pay_date else "leefgeld_none"],
        "total_leefgeld": euro(overview["total_leefgeld"]),
        "planned_leefgeld": w["of_which_planned"].format(amount=euro(overview["planned_leefgeld"]))
        if overview["planned_leefgeld"].is_positive else "",
        "reserves": reserves,
        "reserves_none": w["reserves_no_pay_date" if no_pay_date else "reserves_none"],
        "advance": advance,
    }


def _deducted(overview: dict[str, Any], w: dict[str, str], euro: Any, day: Any, lang: str) -> dict[str, Any]:
    """What someone else took from the household's money this month, each in a sentence, and its total."""
    rows = [{"title": MESSAGES[lang].get(f"dk_{r['kind']}", MESSAGES[lang]["dk_overig"]),
             "amount": euro(r["amount"]), "who": r["who"] or "",
             "status": deduction_text(r["kind"], r["who"], r["amount"], lang, agreement_id=r["agreement"],
                                      category=r["category"]) + " " + w["deducted_on"].format(day=day(r["date"])),
             "tone": "done" if r["kind"] == "bankkosten" else "attention"} for r in overview.get("deducted", [])]
    return {"deducted": rows, "total_deducted": euro(overview.get("total_deducted", Money.zero()))}


def _kept_lines(overview: dict[str, Any], w: dict[str, str], euro: Any, day: Any) -> list[str]:
    """Where money that came in was kept, and why (for a later pay date, or held)."""
    kept = [w["kept_line" if k["pay_date"] > overview["made_on"] else "kept_used"].format(
        amount=euro(k["amount"]), day=day(k["pay_date"])) for k in overview["kept"]]
    if overview["on_hold"].is_positive:
        kept.append(w["on_hold"].format(amount=euro(overview["on_hold"])))
    return kept


def _reserve_rows(overview: dict[str, Any], w: dict[str, str], euro: Any, lang: str) -> list[dict[str, str]]:
    return [{"title": w["leefgeld_reserve"] if r["agreement"] == LEEFGELD_RESERVE
             else agreement_name(r["agreement"], lang),
             "amount": euro(r["amount"]), "status": w["saved"], "tone": "done"} for r in overview["reserves"]]


def _advance_lines(overview: dict[str, Any], w: dict[str, str], euro: Any) -> list[str]:
    """The voorschot: what it is, what was advanced and repaid this month, what is owed."""
    advance = [w["advance_what"]]
    if overview["advanced"].is_positive:
        advance.append(w["advanced"].format(amount=euro(overview["advanced"])))
    if overview["repaid"].is_positive:
        advance.append(w["repaid"].format(amount=euro(overview["repaid"])))
    advance.append(w["owed"].format(amount=euro(overview["buffer_owed"])) if overview["buffer_owed"].is_positive
                   else w["owed_none"])
    return advance


def render_overview(overview: dict[str, Any], lang: str = "nl", *, static: str | None = None,
                    back_href: str | None = None, switch_href: str | None = None,
                    back_text: str | None = None) -> str:
    """The overview page. `static`: where the served page finds its stylesheet; None
    inlines it, so the file stands on its own (the CLI, the staff API, the PDF)."""
    css = None if static is not None else (WEB / "static" / "participant.css").read_text(encoding="utf-8")
    return _env.get_template("overview.html").render(
        t=MESSAGES[lang], lang=lang, static=static or "", inline_css=css, back_href=back_href, back_text=back_text,
        switch_href=switch_href, switch_lang="en" if lang == "nl" else "nl", **view(overview, lang))


def render_html(overview: dict[str, Any], made_on: date | None = None, lang: str = "nl") -> str:
    """The overview as a file of its own (`hhb overview`, `GET …/overview`)."""
    if made_on is not None:
        overview = {**overview, "made_on": made_on}
    return render_overview(overview, lang)


def render_pdf(html: str, target: Path) -> None:
    """Print the page with headless Chromium; the page's `@page { size: A4 }` sets the paper."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise HouseholdError("--format pdf needs Chromium on this machine (apt-get install chromium); "
                             "the other --format gives the same content without it")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "overview.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", f"--user-data-dir={tmp}/profile",
                        f"--print-to-pdf={target.resolve()}", "--no-pdf-header-footer", page.as_uri()],
                       check=True, capture_output=True, timeout=60)
