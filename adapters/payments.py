"""Payment instructions out: pain.001 files on disk, recorded by name, hash and sums."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from huishoudboekje.domain.household import Instruction
from huishoudboekje.domain.iban import Iban
from huishoudboekje.domain.payment_files import FilePayment
from huishoudboekje.domain.run import PaymentFileRecord
from huishoudboekje.reconcile import created_at, message_id

from .pain001 import Transfer, build_pain001, check_transfer, read_pain001

_SEPARATORS = re.compile(r"[\s.]")


@dataclass(frozen=True)
class Pain001Writer:
    """Builds pain.001 files deterministically and stores them atomically."""

    directory: Path
    debtor_name: str
    version: str = "pain.001.001.09"

    def build(self, *, day: date, debtor_account: str, sequence: int,
              instructions: list[Instruction]) -> tuple[PaymentFileRecord, bytes]:
        payment_file = build_pain001(
            debtor_name=self.debtor_name,
            debtor_iban=debtor_account,
            debtor_bic=Iban(debtor_account).bic,
            message_id=message_id(day, debtor_account, sequence),
            created_at=created_at(day),
            transfers=[transfer(i) for i in instructions],
            version=self.version,
        )
        record = PaymentFileRecord(
            name=payment_file.name,
            sha256=payment_file.sha256,
            count=payment_file.count,
            control_sum=payment_file.control_sum,
            debtor_account=debtor_account,
            message_id=payment_file.message_id,
            version=self.version,
            instruction_ids=tuple(i.id for i in instructions),
            day=day,
        )
        return record, payment_file.content

    def build_one(self, *, message_id: str, day: date, debtor_account: str,
                  instruction: Instruction) -> tuple[PaymentFileRecord, bytes]:
        """A file of one payment with a message id of its own (a maatwerk case's, made by
        its third approval, not by the nightly job); the same bytes every time."""
        payment_file = build_pain001(
            debtor_name=self.debtor_name, debtor_iban=debtor_account, debtor_bic=Iban(debtor_account).bic,
            message_id=message_id, created_at=created_at(day), transfers=[transfer(instruction)],
            version=self.version)
        record = PaymentFileRecord(
            name=payment_file.name, sha256=payment_file.sha256, count=payment_file.count,
            control_sum=payment_file.control_sum, debtor_account=debtor_account,
            message_id=payment_file.message_id, version=self.version, instruction_ids=(instruction.id,), day=day)
        return record, payment_file.content

    def check(self, instructions: list[Instruction]) -> None:
        """Refuse (PaymentFileError, a ValueError) a payment no pain.001 can carry."""
        for instruction in instructions:
            check_transfer(transfer(instruction))

    def store(self, record: PaymentFileRecord, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / record.name
        temporary = path.with_suffix(".part")
        temporary.write_bytes(content)
        os.replace(temporary, path)  # a reader never sees half a file

    def stored(self, record: PaymentFileRecord) -> bool:
        path = self.directory / record.name
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256


def transfer(instruction: Instruction) -> Transfer:
    reference = instruction.reference
    digits = _betalingskenmerk(reference)
    return Transfer(
        end_to_end_id=instruction.end_to_end_id,
        creditor_name=instruction.creditor_name,
        creditor_iban=instruction.creditor_iban,
        amount=instruction.amount,
        remittance=digits or reference or _description(instruction),
        execution_date=instruction.execution_date,
        structured_reference=digits is not None,
    )


def _betalingskenmerk(reference: str | None) -> str | None:
    """The 16 digits of a Dutch payment reference, however it was typed (groups of four
    with spaces or dots, full-width digits from a phone keyboard); None for free text.

    `str.isdigit` alone also accepts digits of other scripts, which the structured
    reference of a pain.001 cannot carry: the file then failed on the night it was made.
    """
    if not reference:
        return None
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", reference))
    return compact if len(compact) == 16 and compact.isascii() and compact.isdigit() else None


def _description(instruction: Instruction) -> str:
    if instruction.kind == "leefgeld":
        return f"Leefgeld {instruction.period:%d-%m-%Y} deel {instruction.part}"
    what = "Achterstand" if instruction.kind == "arrears" else "Betaling"
    return f"{what} {instruction.agreement_id} {instruction.period:%m-%Y}"


@dataclass(frozen=True)
class PaymentFiles:
    """The job's pending files (`HHB_VAR_DIR/payments`) and the outbox a bank connection
    collects from (`HHB_OUTBOX_DIR`): only a released file is ever put there.

    A release stages its copy beside it (`NAME.<id>.part`, which a connection collecting
    `*.xml` does not take), records the release, then renames the copy into place,
    removing any other staged copy first: a release interrupted after its record is
    completed by the next `release` of that file, and a copy is never put there twice.
    """

    pending: Path
    outbox: Path

    def read(self, name: str) -> bytes | None:
        path = self._path(self.pending, name)
        return path.read_bytes() if path.is_file() else None

    def payments(self, content: bytes) -> list[FilePayment]:
        return read_pain001(content)

    def stage(self, name: str, content: bytes) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        staged = f"{self._path(self.outbox, name).name}.{secrets.token_hex(6)}.part"
        with open(self.outbox / staged, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        return staged

    def publish(self, name: str, staged: str) -> None:
        for other in self.staged(name):
            if other != staged:
                (self.outbox / other).unlink(missing_ok=True)
        os.replace(self.outbox / staged, self._path(self.outbox, name))  # a collector never sees half a file

    def staged(self, name: str) -> list[str]:
        if not self.outbox.is_dir():
            return []
        prefix = self._path(self.outbox, name).name + "."
        return sorted(p.name for p in self.outbox.iterdir() if p.name.startswith(prefix) and p.name.endswith(".part"))

    def discard(self, name: str, staged: str | None = None) -> None:
        for copy in [staged] if staged else self.staged(name):
            (self.outbox / copy).unlink(missing_ok=True)

    def in_outbox(self, name: str) -> bool:
        return self._path(self.outbox, name).is_file()

    @staticmethod
    def _path(directory: Path, name: str) -> Path:
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"not a payment file's name: {name!r}")  # names come from records, never paths
        return directory / name
