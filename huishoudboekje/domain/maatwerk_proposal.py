"""A maatwerk proposal document and the price list of societal costs, checked field by field.

A proposal (YAML or JSON, see README "Maatwerkbudget"):

    team: Wijkteam Noord
    dossier: HHB-2026-0001          # or resident: {name: ..., iban: ...}
    creditor: {name: Advocatenkantoor Jansen, iban: NL91ABNA0417164300}
    amount: "450.00"
    reference: "Factuur 2027-118"
    category: wonen                 # wonen | rondkomen | gezond-leven | werken | leren-en-ontwikkelen
    problem: ...
    prevents: [huisuitzetting]      # items of the price list (an item twice: twice its price)
    participant_actions: ...
    regular_provision_checked: true
    over_budget_reason: ...         # optional: why, if it takes the team over its budget

Every error names the field, in English and Dutch, and all errors are given at once.
The price list (`PriceList`) is the municipality's own YAML; the shipped default holds
the figures of the evaluations (`DEFAULT_PRICES`). The prices a case was proposed with
are kept on the case, so a later price list does not change what a past case avoided.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError
from .iban import Iban, IbanError
from .money import Money, MoneyError

CATEGORIES = ("wonen", "rondkomen", "gezond-leven", "werken", "leren-en-ontwikkelen")
TEXT_MAX = 2000
NAME_MAX = 70  # a SEPA name
REFERENCE_MAX = 140  # SEPA remittance information

# The shipped price list: eviction, energy cut-off, re-letting a home, a bailiff's visit,
# a month of welfare benefit (figures of the maatwerk evaluations; DOMAIN.md).
DEFAULT_PRICES: dict[str, Any] = {"items": [
    {"id": "huisuitzetting", "name": "Huisuitzetting", "amount": "6000.00"},
    {"id": "afsluiting-energie", "name": "Afsluiting van energie", "amount": "790.00"},
    {"id": "herhuisvesting", "name": "Een woning opnieuw verhuren", "amount": "1200.00"},
    {"id": "deurwaarder", "name": "Bezoek van de deurwaarder", "amount": "200.00"},
    {"id": "bijstandsuitkering", "name": "Een maand bijstandsuitkering", "amount": "900.00", "per": "maand"},
]}


class ProposalError(DomainError):
    """A proposal (or price list) that cannot be taken; `problems` lists every field wrong."""

    def __init__(self, problems: list[str], field: str | None = None) -> None:
        self.problems = problems
        super().__init__("; ".join(problems), field=field or problems[0].split(":")[0])


@dataclass(frozen=True)
class PriceItem:
    id: str
    name: str
    amount: Money
    per: str | None = None


@dataclass(frozen=True)
class PriceList:
    items: dict[str, PriceItem]

    @classmethod
    def parse(cls, data: Any, source: str = "price list") -> PriceList:
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise ProposalError([f"items: {source} needs a list of items (id, name, amount)"])
        found: dict[str, PriceItem] = {}
        problems = []
        for n, item in enumerate(items):
            where = f"items[{n}]"
            if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
                problems.append(f"{where}: give id, name and amount")
                continue
            try:
                amount = Money(item.get("amount"))
            except (MoneyError, TypeError, ValueError) as exc:
                problems.append(f"{where}.amount: {exc}")
                continue
            if str(item["id"]) in found:
                problems.append(f"{where}.id: '{item['id']}' is in the list twice")
            found[str(item["id"])] = PriceItem(str(item["id"]), str(item["name"]), amount, item.get("per"))
        if problems:
            raise ProposalError(problems)
        return cls(found)

    def price(self, ident: str) -> Money:
        return self.items[ident].amount


@dataclass(frozen=True)
class Proposal:
    """A proposal as checked; the fields of the document."""

    team: str
    dossier: str | None
    resident_name: str | None
    resident_iban: str | None
    creditor_name: str
    creditor_iban: str
    amount: Money
    reference: str
    category: str
    problem: str
    prevents: tuple[str, ...]
    prices: dict[str, Money] = field(default_factory=dict)  # of the items in `prevents`, at proposal
    participant_actions: str = ""
    regular_provision_checked: bool = False
    over_budget_reason: str | None = None

    @property
    def avoided(self) -> Money:
        return sum((self.prices[item] for item in self.prevents), Money.zero())

    def avoided_by_item(self) -> dict[str, Money]:
        result: dict[str, Money] = {}
        for item in self.prevents:
            result[item] = result.get(item, Money.zero()) + self.prices[item]
        return result

    def as_dict(self) -> dict[str, Any]:
        return {"team": self.team, "dossier": self.dossier,
                "resident": {"name": self.resident_name, "iban": self.resident_iban} if self.resident_name else None,
                "creditor": {"name": self.creditor_name, "iban": self.creditor_iban},
                "amount": str(self.amount), "reference": self.reference, "category": self.category,
                "problem": self.problem, "prevents": list(self.prevents),
                "avoided": str(self.avoided), "participant_actions": self.participant_actions,
                "regular_provision_checked": self.regular_provision_checked,
                "over_budget_reason": self.over_budget_reason}


class _Checker:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.problems: list[str] = []

    def text(self, name: str, value: Any = None, *, required: bool = True, limit: int = TEXT_MAX,
             dutch: str = "") -> str | None:
        value = self.doc.get(name) if value is None else value
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(f"{name}: missing / ontbreekt{dutch}")
            return None
        if not isinstance(value, str):
            value = str(value)
        text = " ".join(value.split())
        if len(text) > limit:
            self.problems.append(f"{name}: at most {limit} characters / ten hoogste {limit} tekens")
        elif any(unicodedata.category(c).startswith("C") for c in text):
            self.problems.append(f"{name}: holds a control or invisible character / bevat een onzichtbaar teken")
        return text

    def iban(self, name: str, value: Any) -> str | None:
        if not value:
            self.problems.append(f"{name}: missing / ontbreekt")
            return None
        try:
            return str(Iban(str(value)))
        except IbanError as exc:
            self.problems.append(f"{name}: {exc} / geen geldig IBAN")
            return None

    def party(self, name: str) -> tuple[str | None, str | None]:
        value = self.doc.get(name)
        if not isinstance(value, dict):
            self.problems.append(f"{name}: give {{name: ..., iban: ...}} / geef naam en IBAN")
            return None, None
        return (self.text(f"{name}.name", value.get("name") or "", limit=NAME_MAX),
                self.iban(f"{name}.iban", value.get("iban")))

    def amount(self) -> Money | None:
        value = self.doc.get("amount")
        try:
            amount = Money(value)  # type: ignore[arg-type]
        except (MoneyError, TypeError, ValueError):
            self.problems.append(f"amount: {value!r} is not an amount in euros such as \"450.00\" "
                                 "/ geen bedrag zoals \"450.00\"")
            return None
        if not amount.is_positive:
            self.problems.append(f"amount: {amount} is not more than 0.00 / moet meer zijn dan 0,00")
            return None
        return amount


KNOWN_FIELDS = {"team", "dossier", "resident", "creditor", "amount", "reference", "category", "problem", "prevents",
                "participant_actions", "regular_provision_checked", "over_budget_reason"}


def parse_proposal(doc: Any, prices: PriceList) -> Proposal:
    """The proposal, or ProposalError naming every field that is wrong."""
    if not isinstance(doc, dict):
        raise ProposalError(["document: a proposal is a mapping of fields / een voorstel is een lijst velden"])
    c = _Checker(doc)
    for unknown in sorted(set(doc) - KNOWN_FIELDS):
        c.problems.append(f"{unknown}: not a field of a proposal / geen veld van een voorstel")
    team = c.text("team")
    dossier, resident = doc.get("dossier"), doc.get("resident")
    resident_name = resident_iban = None
    if (dossier is None) == (resident is None):
        c.problems.append("dossier: give a dossier or a resident {name, iban}, one of the two "
                          "/ geef een dossier of een bewoner")
    elif resident is not None:
        resident_name, resident_iban = c.party("resident")
    else:
        dossier = c.text("dossier", limit=64)
    creditor_name, creditor_iban = c.party("creditor")
    amount = c.amount()
    reference = c.text("reference", limit=REFERENCE_MAX)
    category = doc.get("category")
    if category not in CATEGORIES:
        c.problems.append(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
    problem, actions = c.text("problem"), c.text("participant_actions")
    prevents = _prevents(c, doc.get("prevents"), prices)
    checked = doc.get("regular_provision_checked")
    if not isinstance(checked, bool):
        c.problems.append("regular_provision_checked: answer true or false / beantwoord met true of false")
    reason = c.text("over_budget_reason", required=False)
    if c.problems:
        raise ProposalError(c.problems)
    return Proposal(team=team, dossier=dossier, resident_name=resident_name, resident_iban=resident_iban,
                    creditor_name=creditor_name, creditor_iban=creditor_iban, amount=amount, reference=reference,
                    category=category, problem=problem, prevents=prevents,
                    prices={item: prices.price(item) for item in prevents}, participant_actions=actions,
                    regular_provision_checked=checked, over_budget_reason=reason)  # type: ignore[arg-type]


def _prevents(c: _Checker, value: Any, prices: PriceList) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.problems.append("prevents: a list of price-list items such as [huisuitzetting]")
        return ()
    for item in value:
        if item not in prices.items:
            c.problems.append(f"prevents: '{item}' is not on the price list ({', '.join(prices.items)}) "
                              "/ staat niet op de prijslijst")
    return tuple(value)
