"""The register of creditor organisations (issue 21): who a household's charges are paid
to, kept once for the municipality, so staff pick "Eneco" instead of typing its IBAN.

One `CreditorRegister` per engine (a short stream: a municipality pays hundreds of
organisations, not millions). A creditor is its name, its IBANs (each checked as any
IBAN is), the category of charge it is for (`agreement.CHARGE_CATEGORIES`) and,
optionally, how its payment references look (a hint for staff, e.g. "klantnummer, 10
cijfers"). Creditors are stored in events as plain JSON values, so no transcoding is
needed and a later field only needs a default.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .agreement import CHARGE_CATEGORIES
from .errors import DomainError, NotFound
from .iban import Iban, IbanError
from .ids import NAMESPACE

CREDITORS_ID = uuid5(NAMESPACE, "/creditors")
FIELDS = ("name", "ibans", "category", "reference_format")


class CreditorError(DomainError):
    """A creditor that cannot be registered as given; `field` names the entry and field."""


@dataclass(frozen=True)
class Creditor:
    name: str
    ibans: tuple[str, ...]
    category: str
    reference_format: str | None = None

    @property
    def key(self) -> str:
        return " ".join(self.name.split()).casefold()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ibans": list(self.ibans), "category": self.category,
                "reference_format": self.reference_format}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Creditor:
        return cls(row["name"], tuple(row["ibans"]), row["category"], row.get("reference_format"))


def _text(value: Any, where: str, most: int) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text or len(text) > most or any(unicodedata.category(c).startswith("C") for c in text):
        raise CreditorError(f"{where}: give a text of 1 to {most} characters", field=where)
    return text


def clean_creditor(raw: Any, where: str) -> Creditor:
    """One entry as it will be stored; CreditorError naming `where` and the field."""
    if not isinstance(raw, dict):
        raise CreditorError(f"{where}: an entry has name, ibans, category and reference_format", field=where)
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise CreditorError(f"{where}.{unknown[0]}: unknown field (known: {', '.join(FIELDS)})",
                            field=f"{where}.{unknown[0]}")
    name = _text(raw.get("name"), f"{where}.name", 140)
    ibans = raw.get("ibans")
    if isinstance(ibans, str):
        ibans = [ibans]
    if not isinstance(ibans, list) or not ibans:
        raise CreditorError(f"{where}.ibans: give one IBAN or more", field=f"{where}.ibans")
    checked: list[str] = []
    for index, value in enumerate(ibans):
        try:
            iban = str(Iban(str(value)))
        except IbanError as exc:
            raise CreditorError(f"{where}.ibans[{index}]: {exc}", field=f"{where}.ibans[{index}]") from None
        if iban not in checked:
            checked.append(iban)
    category = raw.get("category")
    if category not in CHARGE_CATEGORIES:
        raise CreditorError(f"{where}.category: '{category}' is not one of {', '.join(CHARGE_CATEGORIES)}",
                            field=f"{where}.category")
    reference = raw.get("reference_format")
    if reference is not None:
        reference = _text(reference, f"{where}.reference_format", 100)
    return Creditor(name, tuple(checked), category, reference)


class CreditorRegister(Aggregate):
    """Every creditor organisation by name (compared without case and extra spaces)."""

    @staticmethod
    def create_id() -> UUID:
        return CREDITORS_ID

    @event("Opened")
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    @property
    def creditors(self) -> list[Creditor]:
        return sorted((Creditor.from_dict(r) for r in self.rows.values()), key=lambda c: c.key)

    def record(self, creditors: list[tuple[str, Creditor]], actor: str) -> int:
        """Add or update each (where, creditor), all or none; how many changed. An IBAN
        belongs to one organisation: given to another one too, it is refused."""
        renewed = {c.key for _, c in creditors}
        owners = {iban: c.name for c in self.creditors if c.key not in renewed for iban in c.ibans}
        seen: dict[str, str] = {}
        for where, creditor in creditors:
            if creditor.key in seen:
                raise CreditorError(f"{where}.name: '{creditor.name}' is in the file twice (also {seen[creditor.key]})",
                                    field=f"{where}.name")
            seen[creditor.key] = where
            for index, iban in enumerate(creditor.ibans):
                owner = owners.setdefault(iban, creditor.name)
                if owner != creditor.name:
                    raise CreditorError(f"{where}.ibans[{index}]: {iban} is the account of {owner} already",
                                        field=f"{where}.ibans[{index}]")
        changed = [c.as_dict() for _, c in creditors if self.rows.get(c.key) != c.as_dict()]
        if changed:
            self._recorded(rows=changed, actor=actor)
        return len(changed)

    @event("CreditorsRecorded")
    def _recorded(self, rows: list[dict[str, Any]], actor: str) -> None:
        for row in rows:
            self.rows[Creditor.from_dict(row).key] = dict(row)

    def get(self, name: str) -> Creditor:
        row = self.rows.get(" ".join(name.split()).casefold())
        if row is None:
            raise NotFound(f"creditor: there is no creditor '{name}' in the register", field="creditor")
        return Creditor.from_dict(row)
