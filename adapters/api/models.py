"""The API's request and response models, and the problems each operation may answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, field_validator

from huishoudboekje.onboarding import AmountField, PayDay

from .errors import PROBLEM

# Dates far outside any household's life only make the calendar arithmetic overflow.
BusinessDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31),
                                     description="A business date, YYYY-MM-DD (2000–2099)")]
MONTH = r"^20\d\d-(0[1-9]|1[0-2])$"
MAX_DIGITS = 12  # no household amount comes near; Money itself fails past 26
DossierPath = Annotated[str, PathParam(description="Dossier number", examples=["HHB-2026-0001"])]


# -- OpenAPI helpers -----------------------------------------------------------------------


class ProblemOut(BaseModel):
    """RFC 9457 problem details; `field` names the part of the request that is wrong."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


_PROBLEM_SCHEMA = ProblemOut.model_json_schema()
_MEANING = {401: "Missing, unknown, expired or revoked token", 403: "The role may not do this",
            404: "Unknown (or another team's) household, transaction, signal or file",
            409: "The request conflicts with the current state", 413: "Request body too large",
            422: "Invalid input, or a change the engine refuses; nothing was written",
            429: "Too many failed sign-ins from this client or with this token; wait a minute"}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": _MEANING[code], "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}}
            for code in sorted({401, 429, *codes})}


READ_PROBLEMS = problems(403, 404, 422)
WRITE_PROBLEMS = problems(403, 404, 409, 413, 422)


# -- models --------------------------------------------------------------------------------


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AmountChangeIn(In):
    amount: AmountField = Field(description="The new amount, as text (\"735.00\")")
    effective: BusinessDate

    @field_validator("amount", mode="before")
    @classmethod
    def _not_huge(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value.split(".")[0]) > MAX_DIGITS:
            raise ValueError(f"at most {MAX_DIGITS} digits before the decimal point")
        return value


class EndIn(In):
    end: BusinessDate = Field(description="The last day it applies")


class ParticipationEndIn(EndIn):
    reason: Literal["stabilised", "referred", "moved", "deceased", "stopped-by-participant", "other"] | None = \
        Field(default=None, description="Why the trajectory ends; counted in the team report (`endings`)")


class NoticesIn(In):
    channel: Literal["email", "sms", "none"] = Field(description="The participant's own choice: e-mail, text "
                                                                 "message, or no notices")
    address: str | None = Field(default=None, max_length=254,
                                description="The e-mail address or mobile number; none for `none`")
    language: Literal["nl", "en"] = "nl"
    on: BusinessDate | None = Field(default=None, description="The day of the choice (default: today); "
                                                              "notices are of what happens from then on")


class NoticesOut(BaseModel):
    dossier: str
    channel: str
    address: str | None
    language: str
    since: str | None = Field(description="Notices are of facts from this day on; none without consent")
    sent: int = Field(description="How many notices were sent")


class PayDayIn(In):
    pay_day: PayDay
    effective: BusinessDate


class BookIn(In):
    dossier: str = Field(min_length=1, max_length=40, examples=["HHB-2026-0001"])
    agreement: str = Field(min_length=1, max_length=40, examples=["bijstand"])


class DeductionIn(In):
    dossier: str = Field(min_length=1, max_length=40, examples=["HHB-2026-0001"])
    kind: Literal["verrekening", "beslag", "bankkosten", "overig"] = Field(
        description="What the debit was: a set-off by the payer of an income (verrekening), a garnishment "
                    "(beslag), bank costs (bankkosten) or anything else (overig)")
    agreement: str | None = Field(default=None, min_length=1, max_length=40, examples=["zorgtoeslag"],
                                  description="The income it is set off against, if any")


class ReasonIn(In):
    reason: str = Field(default="", max_length=500)


class NoteIn(In):
    note: str = Field(default="", max_length=500)


class HoldIn(In):
    reason: str = Field(min_length=1, max_length=500, description="Why the file is kept from the bank")


class RunIn(In):
    date: BusinessDate | None = Field(default=None, description="Run through this date (default: today)")


class OnboardingWarning(BaseModel):
    field: str = Field(description="participants[n].iban or charges[n].reference")
    others: list[str] = Field(description="The other households (dossiers) that use it too")
    text: dict[str, str] = Field(description="In Dutch (nl) and English (en)")


class Onboarded(BaseModel):
    dossier: str
    household_id: str
    status: Literal["created", "unchanged", "updated"]
    warnings: list[OnboardingWarning] = Field(
        default=[], description="Written, but another household uses this participant IBAN or creditor reference "
                                "too: two dossiers of one household? (a warning, not a refusal)")


class TeamOut(BaseModel):
    name: str
    phone: str | None
    email: str | None
    hours: str | None = Field(description="When the team can be reached")


class HouseholdRow(BaseModel):
    dossier: str
    household_id: str
    team: str
    status: str
    buffer_outstanding: str
    arrears_count: int
    arrears_amount: str
    account: str | None


class CounterpartyOut(BaseModel):
    name: str
    iban: str


class ParticipantOut(CounterpartyOut):
    contact: str | None
    share: str | None = None  # of the leefgeld ("1/2"); None: the first participant gets all of it


class AmountFromOut(BaseModel):
    effective: str
    amount: str


class AgreementOut(BaseModel):
    id: str
    kind: str
    category: str
    counterparty: CounterpartyOut
    amount: str
    amounts: list[AmountFromOut]
    schedule: dict[str, Any]
    start: str
    end: str | None
    reference: str | None
    priority: int
    tolerance: dict[str, Any] | None
    match_terms: list[str]
    withheld: dict[str, Any] | None = Field(default=None, description=(
        "What the payer keeps back of each payment (a garnishment): amount, kind, by; the income is expected "
        "less this. Null: nothing"))
    customer_number: str | None = Field(default=None, description="The creditor's customer number (a charge)")


class PayDayFromOut(BaseModel):
    effective: str
    pay_day: int | str


class ConsentOut(BaseModel):
    on: str = Field(description="The day the participant agreed to take part")
    way: str = Field(description="signed-form, in-person, digital, by-phone or other")
    actor: str = Field(description="Who recorded it")
    withdrawn: str | None = Field(description="The day the participant withdrew it (which ended the "
                                              "participation); null while it stands")
    withdrawn_by: str | None = None


class HouseholdOut(BaseModel):
    dossier: str
    household_id: str
    team: str
    coach: str | None = Field(description="The household's budget coach (the document's `coach`), named on "
                                          "the participant's contact card; null where none is named")
    status: str
    start: str
    end: str | None
    pay_day: int | str
    pay_days: list[PayDayFromOut]
    paid_from: str = Field(description="The first due date whose charges are ours to pay (the creditors' "
                                       "direct debits stop that day): the document's `paid_from`, or the "
                                       "first pay date")
    buffer_limit: str
    minimum_leefgeld: str
    leefgeld_schedule: str
    execute_on: str
    account: str | None
    participants: list[ParticipantOut]
    address: dict[str, str | None] | None = Field(default=None, description="Postcode, number, street, place")
    agreements: list[AgreementOut]
    buffer_outstanding: str
    arrears: dict[str, Any]
    last_pay_date: str | None
    referrals: list[dict[str, Any]] = Field(default_factory=list, description=(
        "Referrals to debt counselling (schuldhulpverlening): on, organisation"))
    moratoria: list[dict[str, Any]] = Field(default_factory=list, description="Moratoria: from, until, reason")
    self_paid: list[dict[str, Any]] = Field(default_factory=list, description=(
        "Charges the participant pays from a date on (a phase-out): agreement, creditor, from, amount"))
    consent: ConsentOut | None = Field(default=None, description="The participant's consent to take part; "
                                                                 "null where none was recorded")


class EventOut(BaseModel):
    version: int
    event: str
    recorded: str
    business_date: str | None
    actor: str | None
    details: str


class HouseholdOnOut(BaseModel):
    date: str
    dossier: str
    status: str
    pay_day: int | str
    next_pay_date: str
    agreements: list[dict[str, Any]]


class HistoryOut(BaseModel):
    dossier: str
    events: list[EventOut]
    as_of: HouseholdOnOut | None


class AmountChanged(BaseModel):
    dossier: str
    agreement: str
    amount: str
    effective: str


class PaidPeriod(BaseModel):
    period: str
    amount: str


class AgreementEnded(BaseModel):
    dossier: str
    agreement: str
    end: str
    paid_after_end: list[PaidPeriod] = Field(
        default_factory=list,
        description="periods due after the last day that were paid or instructed already: ending the "
                    "agreement does not take that money back; ask the creditor to refund it")


class LateCharge(BaseModel):
    agreement: str
    due: str
    amount: str


class PayDayChanged(BaseModel):
    dossier: str
    pay_day: int | str
    effective: str
    next_pay_date: str
    paid_late: list[LateCharge] = Field(
        description="charges due before the next pay date that the last cycle did not cover: "
                    "a pay day moved later pays them on the next pay date, late")


class ParticipationEnded(BaseModel):
    dossier: str
    end: str
    settlement_date: str | None = Field(
        description="the business day after the end, when the nightly job pays out what the household holds; "
                    "if the job has completed that day already, the day its next run does")


class ImportOut(BaseModel):
    files: int
    transactions: int
    new: int
    duplicates: int
    matched: int
    unmatched: int
    payments_confirmed: int
    payments_returned: int
    deviating: int
    import_id: str
    allow_unbalanced: bool
    unbalanced: list[str]


class PartyOut(BaseModel):
    name: str | None
    iban: str | None


class TransactionOut(BaseModel):
    transaction: str
    account: str
    booking_date: str
    value_date: str
    amount: str
    counterparty: PartyOut
    description: str
    end_to_end_id: str | None
    outcome: str
    dossier: str | None
    agreement: str | None
    reason: str | None
    candidates: list[str] = Field(description="'DOSSIER/agreement', best first (own team only for staff)")


class RunOut(BaseModel):
    through: str
    households_paid: int
    instructions: int
    total: str
    advanced: str
    repaid: str
    arrears: int
    payment_files: list[str]
    held: list[dict[str, str]] = []  # households whose payments could not be made: dossier, reason
    escalated: list[str] = []  # pending payment files nobody released in time: a payment-file-unreleased signal


FileState = Literal["pending", "held", "released", "before-review"]


class PaymentFileOut(BaseModel):
    name: str
    state: FileState = Field(description="pending: waits for a person's release; held: kept from the bank; "
                                         "released: in the outbox; before-review: written before files were "
                                         "reviewed, sent as written")
    day: str | None
    first_execution: str | None
    sha256: str
    count: int
    control_sum: str
    debtor_account: str
    message_id: str
    version: str
    instructions: int
    changed_by: str | None
    changed_on: str | None
    reason: str | None


class FlagOut(BaseModel):
    flag: str = Field(description="same-reference-in-file, same-reference-in-month, above-agreement, "
                                  "new-creditor-iban, shared-participant-iban or not-in-books")
    end_to_end_id: str
    dossier: str | None
    others: list[str]
    text: dict[str, str] = Field(description="In Dutch (nl) and English (en)")


class FilePaymentOut(BaseModel):
    end_to_end_id: str
    dossier: str | None
    kind: str | None
    agreement: str | None
    period: str | None
    amount: str
    execution_date: str
    reference: str | None
    flags: list[str]


class CreditorOut(BaseModel):
    creditor_name: str
    creditor_iban: str
    count: int
    total: str
    payments: list[FilePaymentOut]


class PaymentFileReview(BaseModel):
    name: str
    state: FileState
    day: str | None
    first_execution: str | None
    debtor_account: str
    count: int
    control_sum: str
    sha256: str
    changed_by: str | None
    changed_on: str | None
    reason: str | None
    on_disk: bool
    sha256_matches: bool = Field(description="false: the bytes on disk are not the ones recorded; do not send")
    creditors: list[CreditorOut]
    flags: list[FlagOut]


class PaymentFileDecision(BaseModel):
    name: str
    state: FileState
    by: str | None
    on: str | None
    reason: str | None
    in_outbox: bool
    completed: bool = Field(default=False, description="true: released before, its copy reached the outbox now")


class ProjectionOut(BaseModel):
    position: int
    newest_event: int
    events_behind: int


class LeftOut(BaseModel):
    dossier: str
    as_of: str
    data_as_of: str | None = Field(description="Newest value date of the account's imported statements")
    data_stale: bool = Field(False, description="The newest bank data is more than two TARGET2 business days old")
    cycle: dict[str, str]
    leefgeld: dict[str, Any] = Field(description=(
        "`paid`/`scheduled`: execution date come or not; `received`: confirmed by a statement; `on_its_way`: "
        "planned or sent, not confirmed. Each part's `progress`: planned | sent | paid | returned"))
    incomes: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    buffer_owed: str
    reserves: dict[str, str]
    forecast: dict[str, Any] = Field(description="The next pay date as the rules would run it; `supplement`: "
                                                 "what the coming night pays for an income that came late, or null")
    supplements: list[dict[str, Any]] = Field(default_factory=list, description=(
        "What this cycle's supplements paid for incomes that came too late for its pay date, each with "
        "its sentence for the household (`text`: nl, en)"))
    month: dict[str, Any] = Field(default_factory=dict, description=(
        "The cycle's facts a bad month is explained with (`bad`): what the pay date advanced, incomes that "
        "came late and what was paid from them, what is still owed, the next pay date and its leefgeld"))
    deductions: list[dict[str, Any]] = Field(default_factory=list, description=(
        "What someone else took from the household's money since the pay date before this cycle's, and what is "
        "still to come off the next pay date (`pending`), each with its sentence for the household (`text`: nl, "
        "en): a set-off (verrekening), a garnishment (beslag), bank costs (bankkosten) or other (overig)"))
    projection: ProjectionOut


class SignalOut(BaseModel):
    id: str = Field(description="DOSSIER|rule:agreement:period; a control's key for the engine's own signals")
    dossier: str | None = Field(description="None: a signal of the engine's own controls, of no household")
    team: str | None
    rule: str
    agreement: str | None
    period: str
    severity: str
    status: str
    amount: str
    raised_on: str
    changed_on: str
    details: dict[str, Any]
    history: list[dict[str, Any]]
    text: dict[str, str] = Field(default_factory=dict,
                                 description="What the signal is about, for staff: {'nl': …, 'en': …}")


class SignalChanged(BaseModel):
    signal: str
    status: Literal["acknowledged", "resolved"]












class AddressOut(BaseModel):
    postcode: str
    number: str
    street: str | None
    place: str | None








class ReportOut(BaseModel):
    team: str | None
    month: str | None
    households: int
    open_signals: dict[str, int]
    open_signals_total: int
    buffer_outstanding: str
    arrears: dict[str, Any]
    households_with_shortfall_ahead: list[str]
    endings: dict[str, int] = Field(description="Households that ended their participation, by reason "
                                                "(`not-given`: ended without one)")
    time_in_programme: dict[str, Any] = Field(default_factory=dict, description=(
        "Ended participations: how many (`ended`) and their average time from start to end, "
        "`average_days` and `average_months` (text, one decimal; null when none ended)"))
    signal_cap: int | None = Field(default=None, description="Signals per team per month (HHB_SIGNAL_CAP); "
                                                             "null: no cap")
    signals_held_back: dict[str, Any] = Field(default_factory=dict, description=(
        "Signals the cap holds back from the worklist (of the month asked for): `total` and `by_rule`. "
        "Never deleted; critical signals always show"))
    projection: ProjectionOut


class HeldReleased(BaseModel):
    dossier: str
    status: Literal["approved", "released"] = Field(
        description="approved: a first person approved; a second, different person must release it")
    amount: str
    approved_by: str
    released_by: str | None
    still_held: str
