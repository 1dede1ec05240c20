"""The API's models of creditors' reports (issue 23): importing them, the queue of reports no
household was found for, and the address and customer numbers they are matched by."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .models import AddressOut, In

class SignalsImported(BaseModel):
    signals: int = Field(description="Reports in the file")
    new: int = Field(description="Signals raised that were not there before")
    known: int = Field(description="Matched reports that raised nothing new (imported before)")
    matched: int = 0
    queued: int = Field(default=0, description="Reports no household was found for, new in the queue")
    waiting: int = Field(default=0, description="Reports no household was found for (queued now or before)")
    debts_added: int = 0
    debts_updated: int = 0
    linked: int = Field(default=0, description="Reports of arrears the engine holds itself: linked, no new debt")


class QueuedReportOut(BaseModel):
    report: str
    partner: str
    amount: str
    arrears_since: str
    signal_date: str
    crisis: bool
    reference: str
    dossier: str | None
    name: str | None
    iban: str | None
    postcode: str | None
    number: str | None
    customer_number: str | None
    creditor: str | None
    creditor_iban: str | None
    eviction_date: str | None
    why: str
    queued_on: str
    status: Literal["waiting", "assigned"]
    assigned_to: str | None
    assigned_on: str | None
    assigned_by: str | None


class ReportAssignIn(In):
    dossier: str = Field(min_length=1, max_length=40, description="The household the report is about")


class ReportAssigned(BaseModel):
    report: str
    dossier: str
    new: int
    debts_added: int = 0
    debts_updated: int = 0
    linked: int = 0


class AddressIn(In):
    postcode: str = Field(max_length=10, examples=["3511 AB"])
    number: str = Field(min_length=1, max_length=12, examples=["12A"])
    street: str | None = Field(default=None, max_length=100)
    place: str | None = Field(default=None, max_length=100)


class AddressSet(BaseModel):
    dossier: str
    address: AddressOut


class CustomerNumberIn(In):
    customer_number: str | None = Field(default=None, max_length=60, description="Empty or null removes it")


class CustomerNumberSet(BaseModel):
    dossier: str
    agreement: str
    customer_number: str | None
