"""Debts: what a household owes its creditors beyond the running charges (issue 23).

A debt is recorded at intake, from a creditor's report, or is the engine's own
arrears. The first two are events on the household (`DebtAdded`, `DebtUpdated`,
`DebtClosed`, in `domain/household.py`); the engine's arrears are not recorded twice:
`debt_rows` derives them from the household's arrears, one row per charge, with
source `engine-arrears`.

A debt's id is `DOSSIER:S<n>`: creditors and commands that name only a debt
(`hhb arrangements add DEBT`) find the household from it. Debts are kept as plain JSON
values (amounts and dates as text), so snapshots and read-model rows need no new
transcoding.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .errors import DomainError, HouseholdError, NotFound
from .iban import Iban, IbanError
from .money import Money, MoneyError, parse_money, total

KINDS = ("huur", "energie", "water", "zorgverzekering", "belasting", "toeslag-terugvordering", "overig")
INTAKE, CREDITOR_REPORT, ENGINE_ARREARS = "intake", "creditor-report", "engine-arrears"
SOURCES = (INTAKE, CREDITOR_REPORT, ENGINE_ARREARS)
OPEN, CLOSED = "open", "closed"
SEPARATOR = ":"  # never in a dossier (onboarding's pattern), so a debt id splits in one way
UPDATABLE = ("creditor", "iban", "amount", "since", "kind", "reference")


def debt_id(dossier: str, local: str) -> str:
    return f"{dossier}{SEPARATOR}{local}"


def split_debt_id(ident: str) -> tuple[str, str]:
    """(dossier, local id) of a debt id; NotFound for text that is not one."""
    dossier, sep, local = ident.rpartition(SEPARATOR)
    if not sep or not dossier or not local:
        raise NotFound(f"'{ident}' is not a debt id (DOSSIER:S1)", field="debt")
    return dossier, local


def checked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The debt's fields as plain JSON values; a DomainError naming the field that is wrong."""
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None and name == "reference":
            clean[name] = None
        elif name == "creditor":
            if not str(value).strip():
                raise DomainError("a debt needs the creditor's name", field="creditor")
            clean[name] = str(value).strip()
        elif name == "iban":
            try:
                clean[name] = str(Iban(str(value)))
            except IbanError as exc:
                raise DomainError(f"creditor IBAN: {exc}", field="iban") from None
        elif name == "amount":
            clean[name] = str(_positive(value))
        elif name == "since":
            clean[name] = value.isoformat() if isinstance(value, date) else date.fromisoformat(str(value)).isoformat()
        elif name == "kind":
            if value not in KINDS:
                raise DomainError(f"kind '{value}' is not one of {', '.join(KINDS)}", field="kind")
            clean[name] = value
        elif name == "reference":
            clean[name] = str(value).strip() or None
        else:
            raise DomainError(f"a debt has no field '{name}'", field=name)
    return clean


def _positive(value: Any) -> Money:
    try:
        amount = parse_money(value)
    except MoneyError as exc:
        raise DomainError(f"amount: {exc}", field="amount") from None
    if not amount.is_positive:
        raise DomainError("a debt's amount must be more than 0.00", field="amount")
    return amount


class Debts:
    """The commands on a `Household`'s debts (the events are in `domain/household.py`)."""

    debts: dict[str, dict[str, Any]] = {}  # a class default: households of earlier versions have none

    def add_debt(self, creditor: str, iban: str, amount: Any, since: date, kind: str, reference: str | None,
                 source: str, actor: str) -> str:
        self.check_active()
        if source not in (INTAKE, CREDITOR_REPORT):
            raise DomainError(f"source '{source}' is not intake or creditor-report (the engine's own arrears "
                              "are listed by themselves)", field="source")
        fields = checked_fields({"creditor": creditor, "iban": iban, "amount": amount, "since": since,
                                 "kind": kind, "reference": reference})
        local = f"S{len(self.debts) + 1}"
        debt = {"id": local, **fields, "remaining": fields["amount"], "source": source, "status": OPEN,
                "closed_on": None, "reason": None}
        self._debt_added(debt=debt, actor=actor)
        return debt_id(self.dossier, local)

    def update_debt(self, local: str, changes: dict[str, Any], actor: str) -> dict[str, Any]:
        debt = self.open_debt(local)
        changes = checked_fields({k: v for k, v in changes.items() if v is not None})
        changes = {k: v for k, v in changes.items() if debt.get(k) != v}
        if not changes:
            return self.debt_row(debt)
        if "amount" in changes:
            paid = Money(debt["amount"]) - Money(debt["remaining"])
            if Money(changes["amount"]) < paid:
                raise DomainError(f"{paid} of this debt is paid already: the amount cannot be less",
                                  field="amount")
        self._debt_updated(debt_id=local, changes=changes, actor=actor)
        return self.debt_row(self.debts[local])

    def close_debt(self, local: str, on: date, reason: str, actor: str) -> dict[str, Any]:
        self.open_debt(local)
        if not reason.strip():
            raise DomainError("closing a debt needs a reason", field="reason")
        self._debt_closed(debt_id=local, on=on, reason=reason.strip(), actor=actor)
        return self.debt_row(self.debts[local])

    def debt(self, local: str) -> dict[str, Any]:
        try:
            return self.debts[local]
        except KeyError:
            raise NotFound(f"{self.dossier} has no debt '{local}'", field="debt") from None

    def open_debt(self, local: str) -> dict[str, Any]:
        debt = self.debt(local)
        if debt["status"] != OPEN:
            raise HouseholdError(f"debt {debt_id(self.dossier, local)} was closed on {debt['closed_on']}",
                                 field="debt")
        return debt

    def _apply_debt_change(self, local: str, changes: dict[str, Any]) -> None:
        debt = dict(self.debts[local])
        if "amount" in changes:
            paid = Money(debt["amount"]) - Money(debt["remaining"])
            debt["remaining"] = str(Money(changes["amount"]) - paid)
        debt.update(changes)
        self.debts = {**self.debts, local: debt}

    # -- reading ------------------------------------------------------------------------

    def debt_row(self, debt: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
        """A recorded debt; `frozen_until`: the end of the moratorium that freezes it on `as_of`."""
        row = {"debt": debt_id(self.dossier, debt["id"]), "dossier": self.dossier,
               **{k: debt[k] for k in ("creditor", "iban", "amount", "remaining", "since", "kind", "reference",
                                       "source", "status", "closed_on", "reason")}}
        moratorium = self.moratorium_on(as_of) if as_of is not None and debt["status"] == OPEN else None
        row["frozen"] = moratorium is not None
        row["frozen_until"] = moratorium["until"] if moratorium else None
        return row

    def debt_rows(self, as_of: date | None = None) -> list[dict[str, Any]]:
        """Every debt: those recorded, then the engine's own arrears, one row per charge (a
        moratorium freezes old debts, never the running charges' arrears)."""
        rows = [self.debt_row(debt, as_of) for debt in self.debts.values()]
        per_charge: dict[str, list[Any]] = {}
        for due in self.arrears:
            per_charge.setdefault(due.agreement_id, []).append(due)
        for agreement_id, dues in sorted(per_charge.items()):
            agreement = self.agreements.get(agreement_id)
            owed = str(total(d.amount for d in dues))
            rows.append({
                "debt": debt_id(self.dossier, f"A-{agreement_id}"), "dossier": self.dossier,
                "creditor": dues[0].creditor_name, "iban": dues[0].creditor_iban, "amount": owed,
                "remaining": owed, "since": min(d.due for d in dues).isoformat(),
                "kind": getattr(agreement, "category", None) if getattr(agreement, "category", None) in KINDS
                else "overig",
                "reference": dues[0].reference, "source": ENGINE_ARREARS, "status": OPEN, "closed_on": None,
                "reason": None, "frozen": False, "frozen_until": None})
        return rows
