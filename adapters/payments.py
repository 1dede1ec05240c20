"""Payment instructions out: pain.001 files on disk, recorded by name, hash and sums."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from huishoudboekje.domain.household import Instruction
from huishoudboekje.domain.iban import Iban
from huishoudboekje.domain.run import PaymentFileRecord
from huishoudboekje.reconcile import created_at, message_id

from .pain001 import Transfer, build_pain001, check_transfer

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
