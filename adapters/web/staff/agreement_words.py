"""The words of the agreement changes (agreements.py): labels, errors and the preview's
sentences, Dutch by default and English on request."""

from __future__ import annotations

import re
from typing import Any

from huishoudboekje.agreement_changes import AMOUNT, END, PAY_DAY, Change
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.wording import MONTHS, euros

from ..words import LABELS as WORD_LABELS

LAST = "last-business-day"
ACTIONS = {"bedrag": AMOUNT, "einde": END, "betaaldag": PAY_DAY}  # the form's action → the change

LABELS = {
    "nl": {"bedrag_afspraak": "Afspraak", "bedrag": "Nieuw bedrag in euro's", "bedrag_vanaf": "Vanaf",
           "einde_afspraak": "Afspraak", "einde_op": "Laatste dag", "betaaldag": "Nieuwe betaaldag",
           "betaaldag_vanaf": "Vanaf", "form": "Formulier"},
    "en": {"bedrag_afspraak": "Agreement", "bedrag": "New amount in euros", "bedrag_vanaf": "From",
           "einde_afspraak": "Agreement", "einde_op": "Last day", "betaaldag": "New pay day",
           "betaaldag_vanaf": "From", "form": "Form"},
}

TEXT = {
    "nl": {
        "title": "Afspraken wijzigen", "check": "Controleren", "save": "Opslaan", "back": "Terug",
        "amount_legend": "Bedrag wijzigen vanaf een datum", "end_legend": "Afspraak beëindigen",
        "pay_day_legend": "Betaaldag wijzigen", "choose": "— kies een afspraak —", "last": "de laatste werkdag",
        "intro": "Elke wijziging toont eerst het gevolg; pas na Opslaan wordt ze vastgelegd.",
        "preview_title": "Controleer de wijziging", "nothing_saved": "Er is niets opgeslagen. Verbeter wat hieronder staat:",
        "to_household": "Terug naar het huishouden", "no_change": "Dit verandert niets: het huishouden heeft dit al.",
        "stale": "Het huishouden is gewijzigd sinds u het gevolg bekeek. Er is niets opgeslagen; hieronder staat "
                 "het gevolg opnieuw. Klopt het, kies dan nogmaals Opslaan.",
        "amount_bad": "vul een bedrag in euro's in met twee decimalen, zoals 735,00",
        "amount_zero": "het bedrag moet meer dan € 0,00 zijn",
        "day_bad": "vul een datum in, zoals 2027-07-01 of 1-7-2027",
        "day_range": "de datum moet tussen 1 januari 2000 en 31 december 2099 liggen",
        "agreement_bad": "kies een afspraak van dit huishouden",
        "pay_day_bad": "kies een dag van 1 tot en met 28 of de laatste werkdag",
        "refused": "dit kan niet volgens de regels ({reason})",
        "before_start": "de datum ligt vóór de start van de afspraak",
        "before_last_pay": "de datum ligt niet ná de laatste betaaldag ({day})",
        "ended": "dit huishouden doet niet meer mee",
    },
    "en": {
        "title": "Change agreements", "check": "Check", "save": "Save", "back": "Back",
        "amount_legend": "Change an amount from a date", "end_legend": "End an agreement",
        "pay_day_legend": "Change the pay day", "choose": "— choose an agreement —", "last": "the last business day",
        "intro": "Each change first shows its consequence; it is recorded only after Save.",
        "preview_title": "Check the change", "nothing_saved": "Nothing was saved. Please correct:",
        "to_household": "Back to the household", "no_change": "This changes nothing: the household has it already.",
        "stale": "The household changed since you saw the consequence. Nothing was saved; the consequence is "
                 "shown again below. If it is right, choose Save again.",
        "amount_bad": "enter an amount in euros with two decimals, like 735.00",
        "amount_zero": "the amount must be more than € 0.00",
        "day_bad": "enter a date, like 2027-07-01 or 1-7-2027",
        "day_range": "the date must lie between 1 January 2000 and 31 December 2099",
        "agreement_bad": "choose an agreement of this household",
        "pay_day_bad": "choose a day from 1 to 28 or the last business day",
        "refused": "the rules do not allow this ({reason})",
        "before_start": "the date lies before the agreement starts",
        "before_last_pay": "the date does not lie after the last pay date ({day})",
        "ended": "this household no longer takes part",
    },
}


def day_words(day: Any, lang: str) -> str:
    """1 juli 2027 / 1 July 2027."""
    from datetime import date

    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.day} {MONTHS[lang][d.month - 1]} {d.year}"


def pay_day_words(value: Any, lang: str) -> str:
    if value == LAST:
        return TEXT[lang]["last"]
    return f"de {value}e van de maand" if lang == "nl" else f"day {value} of the month"


def agreement_name(agreement_id: str, lang: str = "nl") -> str:
    """Huur, Bijstand (Rent, Social assistance in English); an id of its own as written."""
    return WORD_LABELS[lang].get(agreement_id) or agreement_id.replace("-", " ").capitalize()


def refusal(message: str, lang: str) -> str:
    """The rules' refusal (English, from the domain) in the reader's words."""
    t = TEXT[lang]
    if "before the agreement starts" in message or "before it starts" in message:
        return t["refused"].format(reason=t["before_start"])
    last = re.search(r"before the last pay date (\d{4}-\d{2}-\d{2})", message)
    if last:
        return t["refused"].format(reason=t["before_last_pay"].format(day=day_words(last.group(1), lang)))
    if "ended its participation" in message:
        return t["refused"].format(reason=t["ended"])
    if "has no agreement" in message:
        return t["agreement_bad"]
    return t["refused"].format(reason=message)


def what_changes(change: Change, lang: str) -> str:
    """"Huur wordt € 735,00 vanaf 1 juli 2027." and the like."""
    day = day_words(change.day, lang)
    if change.kind == AMOUNT:
        name = agreement_name(str(change.agreement), lang)
        if lang == "nl":
            return f"{name} wordt {euros(change.amount, lang)} vanaf {day}."
        return f"{name} becomes {euros(change.amount, lang)} from {day}."
    if change.kind == END:
        name = agreement_name(str(change.agreement), lang)
        return f"{name} eindigt op {day}." if lang == "nl" else f"{name} ends on {day}."
    if lang == "nl":
        return f"De betaaldag wordt {pay_day_words(change.pay_day, lang)}, vanaf {day}."
    return f"The pay day becomes {pay_day_words(change.pay_day, lang)}, from {day}."


def _was(report: dict[str, Any], lang: str) -> list[str]:
    """For a new amount: what it was on that date, and the difference."""
    if not report.get("was"):
        return []
    was, now = Money(report["was"]), Money(report["new"])
    more = now > was
    difference = euros(now - was if more else was - now, lang)
    if lang == "nl":
        return [f"Tot nu toe {euros(was, lang)} op die datum: {difference} {'meer' if more else 'minder'} per termijn."]
    return [f"Until now {euros(was, lang)} on that date: {difference} {'more' if more else 'less'} per term."]


def consequence(report: dict[str, Any], lang: str) -> list[str]:
    """The next pay date's leefgeld before and after, and the charges paid late."""
    before, after = report["before"], report["after"]
    lines = _was(report, lang)
    if before["next_pay_date"] == after["next_pay_date"]:
        day = day_words(after["next_pay_date"], lang)
        if before["leefgeld"] == after["leefgeld"]:
            lines.append(f"Volgende betaaldag {day}: leefgeld {euros(after['leefgeld'], lang)}; dat verandert niet, "
                         "de wijziging telt pas op een latere betaaldag mee." if lang == "nl" else
                         f"Next pay date {day}: leefgeld {euros(after['leefgeld'], lang)}; that stays, the change "
                         "counts from a later pay date on.")
        else:
            lines.append(f"Volgende betaaldag {day}: leefgeld {euros(after['leefgeld'], lang)} in plaats van "
                         f"{euros(before['leefgeld'], lang)}." if lang == "nl" else
                         f"Next pay date {day}: leefgeld {euros(after['leefgeld'], lang)} instead of "
                         f"{euros(before['leefgeld'], lang)}.")
    else:
        old, new = day_words(before["next_pay_date"], lang), day_words(after["next_pay_date"], lang)
        lines.append(f"Volgende betaaldag {new} in plaats van {old}: leefgeld {euros(after['leefgeld'], lang)} "
                     f"in plaats van {euros(before['leefgeld'], lang)}." if lang == "nl" else
                     f"Next pay date {new} instead of {old}: leefgeld {euros(after['leefgeld'], lang)} "
                     f"instead of {euros(before['leefgeld'], lang)}.")
    if after["shortfall"] != "0.00":
        lines.append(f"Verwacht tekort: {euros(after['shortfall'], lang)}." if lang == "nl"
                     else f"Expected shortfall: {euros(after['shortfall'], lang)}.")
    late = report.get("paid_late") or []
    if late:
        day = day_words(report["next_pay_date"], lang)
        lines.append(f"Let op: deze vaste lasten vallen vóór de volgende betaaldag ({day}) en worden die dag te "
                     f"laat betaald:" if lang == "nl" else
                     f"Note: these charges fall due before the next pay date ({day}) and are paid late, that day:")
        lines += [f"{agreement_name(d['agreement'], lang)}: {euros(d['amount'], lang)}, "
                  f"{'verschuldigd op' if lang == 'nl' else 'due on'} {day_words(d['due'], lang)}" for d in late]
    elif "paid_late" in report:
        lines.append("Er worden geen vaste lasten te laat betaald." if lang == "nl" else "No charge is paid late.")
    for paid in report.get("paid_after_end") or []:
        day = day_words(paid["period"], lang)
        lines.append(f"Let op: het bedrag dat op {day} verschuldigd was ({euros(paid['amount'], lang)}) is al betaald "
                     "of opgedragen. Beëindigen haalt het niet terug: vraag de schuldeiser het terug te storten."
                     if lang == "nl" else
                     f"Note: the amount due on {day} ({euros(paid['amount'], lang)}) was paid or instructed already. "
                     "Ending the agreement does not take it back: ask the creditor to refund it.")
    return lines
