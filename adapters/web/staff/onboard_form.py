"""The Nieuw huishouden form as an onboarding document (issue 21).

The form's fields are checked here first, each with a Dutch error next to it; what
passes becomes the same document `hhb onboard` reads, which then goes through
`parse_document` and the onboarding service's own rules. Whatever those refuse is
put back next to the form field it came from (`field_of`), still in Dutch.

A charge's creditor is picked from the register: the select's value is one of the
creditor's IBANs (an IBAN belongs to one creditor, `domain/creditors.py`), so the
counterparty's name, IBAN and category come from the register, never typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huishoudboekje.domain.agreement import INCOME_CATEGORIES
from huishoudboekje.domain.creditors import Creditor
from huishoudboekje.domain.iban import Iban, IbanError
from huishoudboekje.domain.money import Money, MoneyError, parse_money

INCOMES, CHARGES = 3, 5  # rows on the form; empty rows are left out
LAST = "last-business-day"
LABELS = {
    "dossier": "Dossiernummer", "start": "Startdatum", "pay_day": "Betaaldag",
    "buffer_limit": "Grens voorschot (buffer)", "minimum_leefgeld": "Minimum leefgeld",
    "participant_name": "Naam deelnemer", "participant_iban": "IBAN deelnemer",
    **{f"income{i}_{k}": f"Inkomen {i + 1}: {v}" for i in range(INCOMES) for k, v in (
        ("name", "van wie"), ("iban", "IBAN"), ("category", "soort"), ("amount", "bedrag"), ("day", "dag"))},
    **{f"charge{i}_{k}": f"Vaste last {i + 1}: {v}" for i in range(CHARGES) for k, v in (
        ("creditor", "schuldeiser"), ("amount", "bedrag"), ("day", "dag"), ("reference", "kenmerk"))},
}
INCOME_FIELDS = ("name", "iban", "category", "amount", "day")
CHARGE_FIELDS = ("creditor", "amount", "day", "reference")


@dataclass
class Filled:
    """What was typed, the errors by field, and the document (None while there are errors)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    document: dict[str, Any] | None = None
    rows: dict[str, int] = field(default_factory=dict)  # "incomes[0]" -> the form's row

    def fail(self, name: str, text: str) -> None:
        self.errors.setdefault(name, self.fail_text(name, text))

    @staticmethod
    def fail_text(name: str, text: str) -> str:
        return f"{LABELS.get(name, name)}: {text}"


def first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def blank(today: date) -> dict[str, str]:
    return {"start": first_of_next_month(today).isoformat(), "pay_day": "1"}


def _amount(filled: Filled, name: str) -> str | None:
    text = filled.values.get(name, "").strip().replace("€", "").replace(" ", "")
    if "," in text:  # Dutch: 1.320,50
        text = text.replace(".", "").replace(",", ".")
    try:
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise MoneyError(text)
        money = parse_money(text)
    except MoneyError:
        filled.fail(name, "vul een bedrag in euro's in, zoals 1320,50")
        return None
    if money <= Money("0.00") and not name.startswith(("buffer", "minimum")):
        filled.fail(name, "het bedrag moet meer dan € 0,00 zijn")
        return None
    return str(money)


def _iban(filled: Filled, name: str) -> str | None:
    try:
        return str(Iban(filled.values.get(name, "")))
    except IbanError:
        filled.fail(name, "dit is geen geldig IBAN; controleer het nummer (zoals NL91 ABNA 0417 1643 00)")
        return None


def _dossier(filled: Filled, name: str) -> str | None:
    """Dossier numbers are written in capitals (HHB-2026-0100): typed in small letters they
    would name a second household beside the first."""
    text = _text(filled, name, 40)
    return text.upper() if text else text


def _text(filled: Filled, name: str, most: int = 140) -> str | None:
    text = " ".join(filled.values.get(name, "").split())
    if not text:
        filled.fail(name, "vul dit in")
        return None
    if len(text) > most:
        filled.fail(name, f"hooguit {most} tekens")
        return None
    return text


def _day(filled: Filled, name: str, highest: int) -> int | str | None:
    text = filled.values.get(name, "").strip()
    if text == LAST:
        return LAST
    if text.isdigit() and 1 <= int(text) <= highest:
        return int(text)
    filled.fail(name, f"kies een dag van 1 tot en met {highest} of de laatste werkdag")
    return None


def _date(filled: Filled, name: str) -> str | None:
    try:
        return date.fromisoformat(filled.values.get(name, "").strip()).isoformat()
    except ValueError:
        filled.fail(name, "vul een datum in als 2027-01-01")
        return None


def _category(filled: Filled, name: str) -> str | None:
    category = filled.values.get(name, "")
    if category not in INCOME_CATEGORIES:
        filled.fail(name, "kies een soort inkomen")
        return None
    return category


def _creditor(filled: Filled, name: str, by_iban: dict[str, Creditor]) -> Creditor | None:
    creditor = by_iban.get(filled.values.get(name, ""))
    if creditor is None:
        filled.fail(name, "kies een schuldeiser uit het register")
    return creditor


def _reference(filled: Filled, name: str) -> str | None:
    reference = " ".join(filled.values.get(name, "").split()) or None
    if reference is not None and len(reference) > 140:
        filled.fail(name, "hooguit 140 tekens")
    return reference


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _incomes(filled: Filled, ids: set[str]) -> list[dict[str, Any]]:
    result = []
    for i in range(INCOMES):
        names = [f"income{i}_{k}" for k in INCOME_FIELDS]
        if not any(filled.values.get(n, "").strip() for n in names if not n.endswith(("_category", "_day"))):
            continue
        who, iban = _text(filled, names[0]), _iban(filled, names[1])
        category = _category(filled, names[2]) or ""
        amount, day = _amount(filled, names[3]), _day(filled, names[4], 31)
        filled.rows[f"incomes[{len(result)}]"] = i
        result.append({"id": _unique(category or "inkomen", ids), "category": category,
                       "counterparty": {"name": who, "iban": iban}, "amount": amount,
                       "schedule": {"every": "month", "day": day}})
    return result


def _charges(filled: Filled, ids: set[str], register: list[Creditor]) -> list[dict[str, Any]]:
    by_iban = {iban: c for c in register for iban in c.ibans}
    result = []
    for i in range(CHARGES):
        names = [f"charge{i}_{k}" for k in CHARGE_FIELDS]
        if not any(filled.values.get(n, "").strip() for n in (names[0], names[1], names[3])):
            continue
        creditor = _creditor(filled, names[0], by_iban)
        amount, day = _amount(filled, names[1]), _day(filled, names[2], 31)
        reference = _reference(filled, names[3])
        filled.rows[f"charges[{len(result)}]"] = i
        category = creditor.category if creditor else "overig"
        charge: dict[str, Any] = {
            "id": _unique(category, ids), "category": category,
            "counterparty": {"name": creditor.name if creditor else "", "iban": filled.values.get(names[0], "")},
            "amount": amount, "schedule": {"every": "month", "day": day}}
        if reference:
            charge["reference"] = reference
        result.append(charge)
    return result


def read(values: dict[str, str], team: str, register: list[Creditor]) -> Filled:
    """The form as an onboarding document of `team`, or its errors by field."""
    filled = Filled({k: v[:200] for k, v in values.items()})
    doc: dict[str, Any] = {"dossier": _dossier(filled, "dossier"), "team": team,
                           "start": _date(filled, "start"), "pay_day": _day(filled, "pay_day", 28),
                           "buffer_limit": _amount(filled, "buffer_limit"),
                           "minimum_leefgeld": _amount(filled, "minimum_leefgeld"),
                           "participants": [{"name": _text(filled, "participant_name"),
                                             "iban": _iban(filled, "participant_iban")}]}
    ids: set[str] = set()
    doc["incomes"] = _incomes(filled, ids)
    doc["charges"] = _charges(filled, ids, register)
    if not filled.errors:
        filled.document = doc
    return filled


CHECKS: dict[str, Callable[[Filled, str, dict[str, Creditor]], Any]] = {  # a field (its row left out): its check
    "dossier": lambda f, n, _: _dossier(f, n), "start": lambda f, n, _: _date(f, n),
    "pay_day": lambda f, n, _: _day(f, n, 28), "buffer_limit": lambda f, n, _: _amount(f, n),
    "minimum_leefgeld": lambda f, n, _: _amount(f, n), "participant_name": lambda f, n, _: _text(f, n),
    "participant_iban": lambda f, n, _: _iban(f, n), "income_name": lambda f, n, _: _text(f, n),
    "income_iban": lambda f, n, _: _iban(f, n), "income_category": lambda f, n, _: _category(f, n),
    "income_amount": lambda f, n, _: _amount(f, n), "income_day": lambda f, n, _: _day(f, n, 31),
    "charge_creditor": _creditor, "charge_amount": lambda f, n, _: _amount(f, n),
    "charge_day": lambda f, n, _: _day(f, n, 31), "charge_reference": lambda f, n, _: _reference(f, n),
}


def check_field(name: str, value: str, register: list[Creditor]) -> str | None:
    """The error submitting the form would give this one field's value, by the same check
    (None: none; KeyError: no such field). An empty value gives none here: whether a field
    may be left empty depends on the rest of its row, which the submit judges."""
    if name not in LABELS:
        raise KeyError(name)
    check = CHECKS[re.sub(r"^(income|charge)\d+_", r"\1_", name)]
    if not value.strip():
        return None
    filled = Filled({name: value[:200]})
    check(filled, name, {iban: c for c in register for iban in c.ibans})
    return filled.errors.get(name)


PATHS = {"dossier": "dossier", "start": "start", "pay_day": "pay_day", "buffer_limit": "buffer_limit",
         "minimum_leefgeld": "minimum_leefgeld", "participants[0].name": "participant_name",
         "participants[0].iban": "participant_iban"}
PARTS = {"incomes": {"counterparty.name": "name", "counterparty.iban": "iban", "category": "category",
                     "amount": "amount", "schedule": "day", "": "amount"},
         "charges": {"counterparty": "creditor", "category": "creditor", "amount": "amount", "schedule": "day",
                     "reference": "reference", "": "amount"}}


def field_of(filled: Filled, path: str) -> str | None:
    """The form field a document path (`charges[1].counterparty.iban`) came from."""
    if path in PATHS:
        return PATHS[path]
    match = re.fullmatch(r"(incomes|charges)(\[\d+\])\.?(.*)", path)
    if match is None or f"{match[1]}{match[2]}" not in filled.rows:
        return None
    row, rest = filled.rows[f"{match[1]}{match[2]}"], match[3]
    part = next(v for k, v in PARTS[match[1]].items() if rest.startswith(k))
    return f"{'income' if match[1] == 'incomes' else 'charge'}{row}_{part}"


def refused(filled: Filled, path: str, message: str) -> None:
    """Put a refusal of the document or the service next to its field, in Dutch."""
    name = field_of(filled, path)
    text = f"dit kan zo niet worden vastgelegd ({message})"
    if name is None:
        filled.errors.setdefault("form", f"{path or 'Formulier'}: {text}")
    else:
        filled.fail(name, text)
