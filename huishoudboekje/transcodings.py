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
from eventsourcing.utils import get_topic

from .domain.agreement import Agreement, AmountFrom, Counterparty, Participant, Tolerance
from .domain.household import Booking, Instruction, PayDayFrom
from .domain.ledger import Recorded
from .domain.money import Money
from .domain.paydate import CycleState, Due
from .domain.run import PaymentFileRecord
from .domain.schedule import Schedule
from .domain.signals import Signal, SignalFact
from .domain.statement import BankTransaction


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

    def encode(self, obj: Money) -> str:
        return str(obj)

    def decode(self, data: str) -> Money:
        return Money(data)


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


DATACLASSES = {
    Agreement: "agreement",
    AmountFrom: "amount_from",
    Counterparty: "counterparty",
    Participant: "participant",
    Tolerance: "tolerance",
    Booking: "booking",
    Instruction: "instruction",
    PayDayFrom: "pay_day_from",
    Due: "due",
    CycleState: "cycle_state",
    BankTransaction: "bank_transaction",
    Recorded: "recorded_transaction",
    PaymentFileRecord: "payment_file",
    Signal: "signal",
    SignalFact: "signal_fact",
}


def register(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(MoneyAsStr())
    transcoder.register(ScheduleAsDict())
    for cls, name in DATACLASSES.items():
        transcoder.register(DataclassAsDict(cls, name))


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
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rows_events = rows_events()

    def to_stored_event(self, domain_event: Any) -> eventsourcing.persistence.StoredEvent:
        cls = type(domain_event)
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
