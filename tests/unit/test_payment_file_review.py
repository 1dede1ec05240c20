"""A payment file's review as a pure aggregate: who may release it, and when it escalates."""

from __future__ import annotations

from datetime import date

import pytest

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.payment_files import (HELD, PENDING, RELEASED, Change, FourEyes, PaymentFile,
                                                 ReleaseRefused, key_of)
from huishoudboekje.domain.run import PaymentFileRecord

DAY = date(2026, 12, 1)
RECORD = PaymentFileRecord(name="f.xml", sha256="ab" * 32, count=2, control_sum=Money("1310.00"),
                           debtor_account="NL39BNGH0285009999", message_id="M01", version="pain.001.001.09",
                           instruction_ids=("i1", "i2"), day=DAY)


def review(first_execution=DAY):
    return PaymentFile(name="f.xml", record=RECORD, first_execution=first_execution)


@pytest.mark.parametrize("executes, escalates", [
    (date(2026, 12, 1), date(2026, 11, 30)),  # Tuesday: Monday
    (date(2026, 11, 30), date(2026, 11, 27)),  # Monday: the Friday before
    (date(2026, 12, 28), date(2026, 12, 24)),  # after Christmas (25 and 26 December are closing days)
])
def test_a_file_escalates_on_the_working_day_before_it_executes(executes, escalates):
    assert review(executes).escalate_on == escalates


@pytest.mark.parametrize("who", ["job", "cli", "job:nightly", "", "  "])
def test_the_job_or_no_one_cannot_release(who):
    with pytest.raises(FourEyes, match="finance"):
        review().release(who, DAY, RECORD.sha256)


def test_whoever_changed_a_household_it_pays_cannot_release_it_whatever_their_role_or_spelling():
    changes = [Change("staff:Anna Jansen", "HHB-1", "Onboarded"), Change("staff:anna jansen", "HHB-1", "AgreementAdded"),
               Change("job:nightly", "HHB-2", "PayDateRun")]
    with pytest.raises(FourEyes, match=r"HHB-1 \(AgreementAdded, Onboarded\)"):
        review().release("finance: ANNA  Jansen", DAY, RECORD.sha256, changes)
    file = review()
    file.release("finance:Piet", DAY, RECORD.sha256, changes)
    assert (file.state, file.released_by, file.released_on) == (RELEASED, "finance:Piet", "2026-12-01")


def test_other_bytes_are_refused_and_a_hold_needs_a_reason_and_ends_with_a_release():
    file = review()
    with pytest.raises(ReleaseRefused, match="f.xml: de inhoud is veranderd"):
        file.release("finance:Piet", DAY, "cd" * 32)
    with pytest.raises(DomainError, match="--reason"):
        file.hold("finance:Piet", DAY, "   ")
    assert file.state == PENDING
    file.hold("finance:Piet", DAY, "dubbele  huur")
    assert (file.state, file.held_reason) == (HELD, "dubbele huur")
    file.release("finance:Klaas", date(2026, 12, 2), RECORD.sha256)
    assert file.state == RELEASED and file.held_reason is None
    with pytest.raises(ReleaseRefused, match="al vrijgegeven"):
        file.hold("finance:Piet", DAY, "te laat")


def test_an_iban_or_reference_is_known_however_it_was_typed():
    assert key_of("5012 3456.7890 1234") == key_of("５０１２３４５６７８９０１２３４") == "5012345678901234"
    assert key_of("nl44 rabo 0123 4567 89") == "NL44RABO0123456789"
