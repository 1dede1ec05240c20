"""How our value types are written into stored events (and snapshots).

The library's JSON transcoder knows no `date`, no `Money` and no dataclasses of ours.
Each type gets a stable transcoding *name*: names, not module paths, are what stored
events carry, so classes can move without breaking old events.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import eventsourcing.persistence
import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from . import sealing

from .domain.agreement import Agreement, AmountFrom, Counterparty, Participant, Tolerance, Withholding
from .domain.controls import ControlSignal
from .domain.deductions import Deduction
from .domain.household import Booking, Instruction, Instructions, PayDayFrom
from .domain.ledger import Recorded
from .domain.money import Money
from .domain.paydate import CycleState, Due, Policy, Reservation
from .domain.run import PaymentFileRecord
from .domain.schedule import Schedule
from .domain.signals import Signal, SignalFact
from .domain.staff import StaffAccount
from .domain.maatwerk_proposal import Proposal
from .domain.statement import BankTransaction
from .domain.supplement import CycleInputs, CyclePaid
from .domain.treasury import StatementBalance
from .personal_data import Keyring


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MoneyAsStr(Transcoding):
    type = Money
    name = "money"

    def __init__(self) -> None:
        self._read: dict[str, Money] = {}  # Money is immutable; the same rent comes back every month

    def encode(self, obj: Money) -> str:
        return str(obj)

    def decode(self, data: str) -> Money:
        money = self._read.get(data)
        if money is None:
            money = Money(data)
            if len(self._read) < 20_000:
                self._read[data] = money
        return money


class ScheduleAsDict(Transcoding):
    type = Schedule
    name = "schedule"

    def encode(self, obj: Schedule) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Schedule:
        return Schedule.from_dict(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields; lists turn back into tuples."""

    def __init__(self, cls: type, name: str) -> None:
        self.type = cls
        self.name = name
        self._fields = [f.name for f in dataclasses.fields(cls)]
        self._tuples = {f.name for f in dataclasses.fields(cls) if str(f.type).startswith("tuple")}

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        for name in self._tuples:
            if name in data and isinstance(data[name], list):
                data[name] = tuple(data[name])
        return self.type(**data)


class DataclassAsRow(Transcoding):
    """A frozen dataclass of plain fields as a list of its values, in field order.

    A household keeps months of payment instructions and bookings; written as dicts,
    each was seven JSON objects (the fields, and a wrapper for every date and amount)
    that the decoder hands to Python one by one. As a row it is one. A `date` field is
    an ISO string and a `Money` field a string of the amount, told apart by the field's
    type; every other field must be a JSON value (str, int, bool, None). The order is
    the stored format: add a field only at the end, with a default, and older rows
    (shorter) read with that default.
    """

    def __init__(self, cls: type, name: str) -> None:
        self.type = cls
        self.name = name
        fields = dataclasses.fields(cls)
        self._names = [f.name for f in fields]
        kinds = [str(f.type).split(" |")[0] for f in fields]
        self._dates = [i for i, kind in enumerate(kinds) if kind == "date"]
        self._money = [i for i, kind in enumerate(kinds) if kind == "Money"]
        for f, kind in zip(fields, kinds):
            if kind not in ("date", "Money", "str", "int", "bool"):
                raise TypeError(f"{cls.__name__}.{f.name}: {f.type} cannot be written in a row")

    def encode(self, obj: Any) -> list[Any]:
        row = [getattr(obj, name) for name in self._names]
        for i in self._dates:
            if row[i] is not None:
                row[i] = row[i].isoformat()
        for i in self._money:
            if row[i] is not None:
                row[i] = str(row[i])
        return row

    def decode(self, data: list[Any]) -> Any:
        for i in self._dates:
            if i < len(data) and data[i] is not None:
                data[i] = date.fromisoformat(data[i])
        for i in self._money:
            if i < len(data) and data[i] is not None:
                data[i] = _money.decode(data[i])
        return self.type(*data)


class InstructionsAsRows(Transcoding):
    """A household's `Instructions` as one list of `instruction_row`s, read back as
    rows: each becomes an `Instruction` only when asked for (see `Instructions`)."""

    type = Instructions
    name = "instructions"

    def encode(self, obj: Instructions) -> list[list[Any]]:
        return obj.rows()

    def decode(self, data: list[list[Any]]) -> Instructions:
        return Instructions(data)


_money = MoneyAsStr()

# Written as rows since 2026-11 (as dicts before, which are still read).
ROWS = {
    Instruction: "instruction_row",
    Booking: "booking_row",
    Due: "due_row",
    AmountFrom: "amount_from_row",
    PayDayFrom: "pay_day_from_row",
    Counterparty: "counterparty_row",
    Participant: "participant_row",
    Tolerance: "tolerance_row",
    Deduction: "deduction_row",  # since issue 20
}

DATACLASSES = {
    Agreement: "agreement",
    AmountFrom: "amount_from",
    Counterparty: "counterparty",
    Participant: "participant",
    Tolerance: "tolerance",
    Withholding: "withholding",  # since issue 20
    Booking: "booking",
    Instruction: "instruction",
    PayDayFrom: "pay_day_from",
    Due: "due",
    CycleState: "cycle_state",
    # What a pay date's rules were given, and what its cycle paid (since 2026-12): a
    # field added to one of these later needs a default, so older ones still read.
    CycleInputs: "cycle_inputs",
    CyclePaid: "cycle_paid",
    Policy: "policy",
    Reservation: "reservation",
    BankTransaction: "bank_transaction",
    Recorded: "recorded_transaction",
    PaymentFileRecord: "payment_file",
    StatementBalance: "statement_balance",
    Signal: "signal",
    SignalFact: "signal_fact",
    ControlSignal: "control_signal",
    StaffAccount: "staff_account",
    Proposal: "maatwerk_proposal",
}


def register(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(_money)
    transcoder.register(ScheduleAsDict())
    transcoder.register(InstructionsAsRows())
    for cls, name in DATACLASSES.items():
        transcoder.register(DataclassAsDict(cls, name))
    for cls, name in ROWS.items():  # after the dicts: rows are written, both are read
        transcoder.register(DataclassAsRow(cls, name))


# -- events of rows ---------------------------------------------------------------------
#
# An import writes each of its transactions into a ledger event and each booking into a
# household event, as rows of plain JSON values (strings, numbers, booleans, None and
# lists of them); a month of a busy account is megabytes of them. The library's JSON
# encoder spent a tenth of an import on those rows. orjson encodes the same JSON
# several times faster. It is used only for the event classes listed here, whose every
# field is a plain JSON value or the event's timestamp: orjson writes a UUID or an enum
# its own way, where the library's encoder uses a transcoding, so an event with such a
# field must never be listed. Decoding stays with the library (the JSON is the same).


def rows_events() -> frozenset[type]:
    from .domain.household import Household
    from .domain.ledger import Ledger

    return frozenset({Ledger.TransactionsImported, Household.IncomesBooked})  # type: ignore[attr-defined]


class Mapper(eventsourcing.persistence.Mapper):  # type: ignore[type-arg]
    """The library's mapper, with personal data sealed on the way in and opened on the
    way out (`personal_data.py`, `sealing.py`; `keyring` is set by the engine), and
    the rows events encoded by orjson."""

    keyring: Keyring | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rows_events = rows_events()
        self._sealed: dict[type, bool] = {}

    def to_stored_event(self, domain_event: Any) -> eventsourcing.persistence.StoredEvent:
        cls = type(domain_event)
        if self.keyring is not None:
            domain_event = self._sealed_copy(cls, domain_event)
        if cls not in self._rows_events or self.compressor or self.cipher:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        topic = get_topic(cls)
        encoded = orjson.dumps(state, default=self.transcoder._encode_obj,  # type: ignore[attr-defined]
                               option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
                               | orjson.OPT_PASSTHROUGH_DATACLASS)
        return eventsourcing.persistence.StoredEvent(originator_id=originator_id, originator_version=originator_version,
                                                     topic=topic, state=encoded)

    def _sealed_copy(self, cls: type, domain_event: Any) -> Any:
        """The event with its personal values sealed with its household's key, or itself."""
        sealed = self._sealed.get(cls)
        if sealed is None:
            sealed = self._sealed[cls] = cls is Snapshot or sealing.sealed_event(cls)
        if not sealed or (cls is Snapshot and domain_event.topic not in sealing.AGGREGATES):
            return domain_event
        keyring, owner = self.keyring, domain_event.originator_id
        assert keyring is not None

        def seal(text: str) -> str:
            return keyring.seal(owner, text)

        state = vars(domain_event)
        if cls is Snapshot:
            state = {**state, "state": sealing.seal_aggregate_state(state["state"], seal)}
        else:
            state = sealing.seal_event_state(cls.__qualname__.rsplit(".", 1)[-1], state, seal)
        copy = object.__new__(cls)
        object.__setattr__(copy, "__dict__", state)
        return copy

    def sealed_state(self, owner: Any, state: dict[str, Any]) -> dict[str, Any]:
        """An aggregate's state with its personal values sealed with `owner`'s key (for a
        read model's copy of a household: it reads as erased once the key is gone)."""
        keyring = self.keyring
        if keyring is None:
            return state
        return sealing.seal_aggregate_state(state, lambda text: keyring.seal(owner, text))

    def reveal(self, data: bytes) -> bytes:
        """JSON with its sealed values opened (or ERASED)."""
        return data if self.keyring is None else self.keyring.reveal(data)

    def to_domain_event(self, stored_event: eventsourcing.persistence.StoredEvent) -> Any:
        if self.keyring is not None and b"pd1:" in bytes(stored_event.state):
            stored_event = eventsourcing.persistence.StoredEvent(
                originator_id=stored_event.originator_id, originator_version=stored_event.originator_version,
                topic=stored_event.topic, state=self.keyring.reveal(bytes(stored_event.state)))
        return super().to_domain_event(stored_event)
