"""Onboarding documents: how staff describe a household in one YAML or JSON file.

The pydantic models below are the document's contract (its JSON Schema is published
with `hhb schema`). A document is checked in full before anything is written, and
every problem is reported with its field path, e.g.
`incomes[1].counterparty.iban: checksum failed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import datetime as dt
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
import unicodedata

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from .domain.agreement import (
    CHARGE,
    CHARGE_CATEGORIES,
    DEFAULT_PRIORITY,
    INCOME,
    INCOME_CATEGORIES,
    Agreement,
    AmountFrom,
    Counterparty,
    Participant,
    Tolerance,
    Withholding,
)
from .domain.creditor_reports import checked_address, house_number, postcode
from .domain.errors import DomainError
from .domain.consent import WAYS
from .domain.household import Household, PayDayFrom
from .domain.iban import Iban, IbanError
from .domain.money import Money, MoneyError, parse_money
from .domain.schedule import Schedule, ScheduleError
from .domain.sepa_text import SepaTextError, check_carriable
from .domain.shares import check_shares


def _money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, float):
        raise ValueError("write amounts as text, e.g. \"1320.50\": a float is not exact")
    try:
        return parse_money(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _carriable(value: Any) -> Any:
    """A name or reference a SEPA payment can carry (transliterated, never garbage)."""
    if isinstance(value, str):
        try:
            check_carriable(value)
        except SepaTextError:
            raise ValueError(f"'{value}' has nothing a bank payment can carry (letters or digits)") from None
    return value


def _iban(value: str) -> str:
    try:
        return str(Iban(value))
    except IbanError as exc:
        raise ValueError(str(exc)) from None


AmountField = Annotated[
    Money,
    PlainValidator(_money),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["712.40"]}),
]
IbanField = Annotated[
    str,
    BeforeValidator(_iban),
    WithJsonSchema({"type": "string", "description": "IBAN, checksum and bank are checked"}),
]
def _day_of_month(highest: int):
    def check(value: Any) -> int | str:
        if value == "last-business-day":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= highest:
            return value
        raise ValueError(f"{value!r} is not a day 1–{highest} or last-business-day")

    schema = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": highest},
                        {"const": "last-business-day"}]}
    return Annotated[int | str, BeforeValidator(check), WithJsonSchema(schema)]


PayDay = _day_of_month(28)
Day = _day_of_month(31)
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SepaText = Annotated[str, AfterValidator(_carriable)]


class CounterpartyDoc(_Doc):
    name: SepaText = Field(min_length=1, max_length=140)
    iban: IbanField


def _share_text(value: Any) -> Any:
    """A share is an exact fraction: text, or a whole number; never a float (JSON's 0.5)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"write the share in quotes, as an exact fraction such as \"1/2\" or \"0.5\" (not {value!r})")
    return value


class ParticipantDoc(_Doc):
    name: SepaText = Field(min_length=1, max_length=140)
    iban: IbanField
    contact: str | None = None
    # The participant's share of the leefgeld ("1/2", "0.5"): every participant has one, or
    # none has (then the first gets all of it); together exactly 1 (`domain/shares.py`).
    share: Annotated[str | None, BeforeValidator(_share_text)] = None


class ScheduleDoc(_Doc):
    every: Literal["month", "week", "4-weeks", "quarter", "year", "once"]
    day: Day | None = None
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = None
    weekday: Weekday | None = None
    date: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class ToleranceDoc(_Doc):
    days: int = Field(default=0, ge=0, le=31)
    amount: AmountField = Field(default_factory=Money.zero)


class MatchDoc(_Doc):
    terms: list[Annotated[str, Field(min_length=1)]] = []


class AmountChangeDoc(_Doc):
    effective: date
    amount: AmountField


class AgreementDoc(_Doc):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    counterparty: CounterpartyDoc
    amount: AmountField
    schedule: ScheduleDoc
    changes: list[AmountChangeDoc] = []
    start: date | None = None
    end: date | None = None


class WithheldDoc(_Doc):
    """What the payer keeps back of each payment for someone else: a garnishment of a
    fixed amount (beslag) or a set-off (verrekening). The forecast and the matching then
    expect the income less this amount."""

    amount: AmountField
    kind: Literal["beslag", "verrekening", "overig"] = "beslag"
    by: SepaText | None = Field(default=None, max_length=140, description="Who gets it, e.g. the bailiff")

    @field_validator("amount")
    @classmethod
    def _more_than_nothing(cls, value: Money) -> Money:
        if not value.is_positive:
            raise ValueError("must be more than 0.00 (leave `withheld` out when nothing is withheld)")
        return value


class IncomeDoc(AgreementDoc):
    category: Literal[INCOME_CATEGORIES]  # type: ignore[valid-type]
    tolerance: ToleranceDoc = ToleranceDoc()
    match: MatchDoc = MatchDoc()
    # Left out in documents before issue 20: nothing withheld.
    withheld: WithheldDoc | None = None


class ChargeDoc(AgreementDoc):
    category: Literal[CHARGE_CATEGORIES]  # type: ignore[valid-type]
    reference: SepaText | None = Field(default=None, max_length=140)
    # The creditor's customer number, which its reports of arrears name (issue 23).
    customer_number: str | None = Field(default=None, min_length=1, max_length=60)
    priority: int | None = Field(default=None, ge=1, le=99)


class LeefgeldDoc(_Doc):
    schedule: Literal["monthly", "weekly"] = "monthly"
    # Steady leefgeld: paid each cycle when the money allows, the excess kept in the
    # household's leefgeld reserve for cycles below it. Not below the minimum leefgeld.
    target: AmountField | None = None


class AddressDoc(_Doc):
    """The household's address, which creditors' reports name (issue 23)."""

    postcode: str = Field(examples=["3511 AB"])
    number: str | int = Field(description="House number with its addition, e.g. 12A")
    street: str | None = Field(default=None, max_length=100)
    place: str | None = Field(default=None, max_length=100)

    @field_validator("postcode", "number")
    @classmethod
    def _dutch(cls, value: Any, info: ValidationInfo) -> str:
        try:
            return postcode(value) if info.field_name == "postcode" else house_number(value)
        except DomainError as exc:
            raise ValueError(str(exc)) from None

    def value(self) -> dict[str, str | None]:
        return checked_address(self.postcode, self.number, self.street, self.place)


class ConsentDoc(_Doc):
    """The day and way the participant agreed to take part (`domain/consent.py`)."""

    date: dt.date
    way: Literal[WAYS]  # type: ignore[valid-type]


class HouseholdDoc(_Doc):
    """One household, as staff describe it at onboarding."""

    dossier: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")
    team: str = Field(min_length=1, max_length=100)
    # The household's budget coach, by name, for the contact card on the participant's
    # page and overview; leave it out where the team has none to name.
    coach: str | None = Field(default=None, max_length=100)
    start: date
    pay_day: PayDay
    buffer_limit: AmountField
    minimum_leefgeld: AmountField
    leefgeld: LeefgeldDoc = LeefgeldDoc()
    execute_on: Literal["pay-date", "due-date"] = "pay-date"
    account: IbanField | None = None
    # The most leefgeld a cycle pays at once; the rest waits for two people (`hhb release`).
    # Leave it out for the municipality's (HHB_PARTICIPANT_CEILING).
    participant_ceiling: AmountField | None = None
    # The day the creditors' direct debits stop: charges due before it are not ours to
    # pay, those due from it on are (paid late on the first pay date if due before it).
    # Leave it out for the first pay date. Cannot change once a pay date has run.
    paid_from: date | None = None
    # Whether the buffer may advance the minimum leefgeld when the pot cannot pay it.
    buffer_covers_leefgeld: StrictBool = True
    # The most repaid to the buffer in one cycle (more than 0.00); leave it out for no cap.
    buffer_repayment_max: AmountField | None = None
    participants: list[ParticipantDoc] = Field(min_length=1)
    address: AddressDoc | None = None  # left out in documents before issue 23
    incomes: list[IncomeDoc] = []
    charges: list[ChargeDoc] = []
    end: date | None = None
    consent: ConsentDoc | None = None  # leave it out where it is recorded by `hhb consent`

    @field_validator("leefgeld")
    @classmethod
    def _target_not_below_the_minimum(cls, value: LeefgeldDoc, info: ValidationInfo) -> LeefgeldDoc:
        minimum = info.data.get("minimum_leefgeld")
        if value.target is not None and minimum is not None and value.target < minimum:
            raise ValueError(f"target {value.target} is below the minimum leefgeld {minimum}")
        return value

    @field_validator("coach")
    @classmethod
    def _a_coach_by_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(unicodedata.category(c).startswith("C") for c in value):
            raise ValueError("contains a control or invisible character")
        name = " ".join(value.split())
        if not name:
            raise ValueError("is empty; leave it out where no coach is named")
        return name

    @field_validator("buffer_repayment_max")
    @classmethod
    def _a_cap_above_zero(cls, value: Money | None) -> Money | None:
        if value is not None and not value.is_positive:
            raise ValueError("must be more than 0.00 (leave it out to repay without a cap)")
        return value


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DocumentError(ValueError):
    """A document that cannot be onboarded; lists every problem found, by field."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{file}:\n{lines}")


@dataclass(frozen=True)
class HouseholdSpec:
    """A validated document, turned into domain values."""

    dossier: str
    team: str
    start: date
    pay_day: int | str
    buffer_limit: Money
    minimum_leefgeld: Money
    leefgeld_schedule: str
    execute_on: str
    account: str | None
    participants: list[Participant]
    agreements: list[Agreement]
    end: date | None
    participant_ceiling: Money | None = None
    paid_from: date | None = None
    buffer_covers_leefgeld: bool = True
    buffer_repayment_max: Money | None = None
    leefgeld_target: Money | None = None
    coach: str | None = None
    address: dict[str, str | None] | None = None
    consent: tuple[date, str] | None = None  # (the day, the way) the participant agreed


def parse_document(data: Any, file: str) -> HouseholdSpec:
    try:
        doc = HouseholdDoc.model_validate(data)
    except ValidationError as exc:
        raise DocumentError(file, [_problem(e) for e in exc.errors()]) from None
    problems: list[Problem] = []
    if doc.paid_from is not None and doc.paid_from < doc.start:
        problems.append(Problem("paid_from", f"{doc.paid_from} lies before the start {doc.start}"))
    agreements = _agreements(doc, problems)
    try:
        check_shares([p.share for p in doc.participants])
    except DomainError as exc:
        problems.append(Problem(exc.field or "participants", str(exc)))
    if problems:
        raise DocumentError(file, problems)
    return HouseholdSpec(
        dossier=doc.dossier,
        team=doc.team,
        start=doc.start,
        pay_day=doc.pay_day,
        buffer_limit=doc.buffer_limit,
        minimum_leefgeld=doc.minimum_leefgeld,
        leefgeld_schedule=doc.leefgeld.schedule,
        execute_on=doc.execute_on,
        account=doc.account,
        participants=[Participant(p.name, p.iban, p.contact, p.share.strip() if p.share else None)
                      for p in doc.participants],
        agreements=agreements,
        end=doc.end,
        participant_ceiling=doc.participant_ceiling,
        paid_from=doc.paid_from,
        buffer_covers_leefgeld=doc.buffer_covers_leefgeld,
        buffer_repayment_max=doc.buffer_repayment_max,
        leefgeld_target=doc.leefgeld.target,
        coach=doc.coach,
        address=doc.address.value() if doc.address else None,
        consent=(doc.consent.date, doc.consent.way) if doc.consent else None,
    )


def _agreements(doc: HouseholdDoc, problems: list[Problem]) -> list[Agreement]:
    seen: dict[str, str] = {}
    result = []
    for kind, group, items in ((INCOME, "incomes", doc.incomes), (CHARGE, "charges", doc.charges)):
        for index, item in enumerate(items):
            path = f"{group}[{index}]"
            if item.id in seen:
                problems.append(Problem(f"{path}.id", f"'{item.id}' is used twice (also {seen[item.id]})"))
                continue
            seen[item.id] = path
            agreement = _agreement(doc, kind, item, path, problems)
            if agreement is not None:
                result.append(agreement)
    return result


def _agreement(doc: HouseholdDoc, kind: str, item: AgreementDoc, path: str, problems: list[Problem]):
    start = item.start or item.schedule.start or doc.start
    raw = item.schedule.model_dump(exclude_none=True)
    raw.setdefault("start", start)
    if item.end is not None:
        raw["end"] = min(item.end, raw.get("end", item.end))
    try:
        schedule = Schedule.from_dict(raw)
    except ScheduleError as exc:
        problems.append(Problem(f"{path}.schedule.{exc}".split(": ", 1)[0], str(exc).split(": ", 1)[-1]))
        return None
    amounts = [AmountFrom(schedule.start, item.amount)]
    for change in sorted(item.changes, key=lambda c: c.effective):
        if change.effective <= schedule.start:
            problems.append(Problem(f"{path}.changes", f"{change.effective} is not after the start"))
            return None
        amounts.append(AmountFrom(change.effective, change.amount))
    is_income = isinstance(item, IncomeDoc)
    withheld = _withheld(item, path, problems) if is_income else None
    return Agreement(
        id=item.id,
        kind=kind,
        category=item.category,  # type: ignore[attr-defined]
        counterparty=Counterparty(item.counterparty.name, item.counterparty.iban),
        amounts=tuple(amounts),
        schedule=schedule,
        tolerance=Tolerance(item.tolerance.days, item.tolerance.amount) if is_income else Tolerance(),  # type: ignore[attr-defined]
        match_terms=tuple(item.match.terms) if is_income else (),  # type: ignore[attr-defined]
        reference=None if is_income else item.reference,  # type: ignore[attr-defined]
        priority=_priority(item) if not is_income else 9,
        withheld=withheld,
        customer_number=None if is_income else item.customer_number,  # type: ignore[attr-defined]
    )


def _withheld(item: Any, path: str, problems: list[Problem]) -> Withholding | None:
    doc = item.withheld
    if doc is None:
        return None
    if doc.amount > item.amount:
        problems.append(Problem(f"{path}.withheld.amount", f"{doc.amount} is more than the income's {item.amount}"))
    return Withholding(doc.amount, doc.kind, doc.by)


def _priority(item: Any) -> int:
    return item.priority if item.priority is not None else DEFAULT_PRIORITY[item.category]


def _problem(error: dict[str, Any]) -> Problem:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _is_union_tag(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "is not a known field"
    return Problem(path, message)


def _is_union_tag(part: str) -> bool:
    # pydantic names union branches in locations ("int", "literal['last-business-day']")
    return part in ("int", "constrained-int") or part.startswith(("literal[", "function-"))


def json_schema() -> dict[str, Any]:
    return HouseholdDoc.model_json_schema()


def canonical(data: Any) -> Any:
    """Turn loaded YAML/JSON into plain values: exact decimals stay text for pydantic."""
    if isinstance(data, dict):
        return {str(k): canonical(v) for k, v in data.items()}
    if isinstance(data, list):
        return [canonical(v) for v in data]
    if isinstance(data, Decimal):
        return str(data)
    return data


# -- re-onboarding: never undo a later change by accident -----------------------------

ONBOARD = "onboard"  # `via` of the amount changes, ends and pay days an onboarding document made


@dataclass(frozen=True)
class RecordedChange:
    """A change another command recorded (change-amount, end-agreement, pay-day) that a
    document would undo: the document was made before it, or without it."""

    field: str  # where the document differs: charges[0].amount, charges[0].end, pay_day
    command: str  # change-amount | end-agreement | pay-day
    agreement: str | None
    effective: date  # the date the change takes effect (for an end: the end)
    value: str  # what the change set: the amount, the end, the pay day
    document: str  # what the document says instead
    actor: str
    recorded: date  # the day it was recorded

    def __str__(self) -> str:
        what = {"change-amount": f"{self.agreement} {self.value} from {self.effective}",
                "end-agreement": f"{self.agreement} ending on {self.effective}",
                "pay-day": f"pay day {self.value} from {self.effective}"}[self.command]
        return (f"would undo `hhb {self.command}` ({what}), recorded on {self.recorded} by {self.actor}; "
                f"the document says {self.document}")

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "command": self.command, "agreement": self.agreement,
                "effective": self.effective.isoformat(), "value": self.value, "document": self.document,
                "actor": self.actor, "recorded": self.recorded.isoformat()}


class RevertsChanges(DocumentError):
    """A document that would undo changes recorded later by other commands: refused,
    unless staff onboard it with `--replace` (the household then records which)."""

    def __init__(self, file: str, changes: list[RecordedChange]) -> None:
        self.changes = changes
        super().__init__(file, [Problem(c.field, str(c)) for c in changes] + [Problem(
            "", "nothing was written: add these changes to the document, or onboard it with --replace "
                "to undo them on purpose")])


def may_revert(household: Household, spec: HouseholdSpec) -> bool:
    """Whether the document differs from the household where a command could have
    changed it (cheap: only then is the household's history read)."""
    if spec.pay_day != household.pay_day_on(date.max):
        return True
    return any(household.agreements.get(a.id) not in (None, a) for a in spec.agreements)


def reverted_changes(household: Household, spec: HouseholdSpec, history: Iterable[Any]) -> list[RecordedChange]:
    """The changes of other commands in `history` (the household's events) that are in
    effect now and that onboarding `spec` would undo: an amount the document does not
    have on that date, an end it does not have (or puts later), a pay day it does not
    have. A change an earlier document asked for (`via` "onboard") is the document's
    own: a later document may take it back."""
    wanted = {a.id: a for a in spec.agreements}
    paths = _agreement_paths(spec)
    found: list[RecordedChange] = []
    pay_day_change = None
    for event in history:
        name = type(event).__name__
        if getattr(event, "via", None) == ONBOARD:
            continue
        recorded = event.timestamp.date()
        if name == "PayDayChanged":
            pay_day_change = event
            continue
        if name not in ("AgreementAmountChanged", "AgreementEnded"):
            continue
        current, new = household.agreements.get(event.agreement_id), wanted.get(event.agreement_id)
        if current is None or new is None:
            continue
        path = paths[new.id]
        if name == "AgreementAmountChanged":
            day = event.effective
            if current.amount_on(day) == event.amount != new.amount_on(day):
                found.append(RecordedChange(f"{path}.amount", "change-amount", new.id, day, str(event.amount),
                                            f"{new.amount_on(day)} on {day}", event.actor, recorded))
        elif current.end == event.end and (new.end is None or new.end > event.end):
            found.append(RecordedChange(f"{path}.end", "end-agreement", new.id, event.end, event.end.isoformat(),
                                        f"end {new.end}" if new.end else "no end", event.actor, recorded))
    if pay_day_change is not None and spec.pay_day != household.pay_day_on(date.max) and \
            household.pay_days[-1] == PayDayFrom(pay_day_change.effective, pay_day_change.pay_day):
        found.append(RecordedChange("pay_day", "pay-day", None, pay_day_change.effective,
                                    str(pay_day_change.pay_day), f"pay day {spec.pay_day}",
                                    pay_day_change.actor, pay_day_change.timestamp.date()))
    return found


def _agreement_paths(spec: HouseholdSpec) -> dict[str, str]:
    """Each agreement's place in the document: incomes[0], charges[1], …"""
    paths, counts = {}, {INCOME: 0, CHARGE: 0}
    for agreement in spec.agreements:
        group = "incomes" if agreement.kind == INCOME else "charges"
        paths[agreement.id] = f"{group}[{counts[agreement.kind]}]"
        counts[agreement.kind] += 1
    return paths


from .onboarding_preview import dry_run  # noqa: E402, F401 - where households.py finds it
