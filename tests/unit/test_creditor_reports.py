"""Creditors' reports on a household and in the queue (issue 23): the rules without a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from huishoudboekje.domain.creditor_reports import (CreditorReport, CreditorReportQueue, check_partner,
                                                    checked_address, same_person)
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.signals import CRITICAL, EVICTION_PLANNED, HIGH, SEVERITY_RANK, rank
from tests.unit.build import charge, household

ESSENT = "NL88ABNA0497215544"
RENT = CreditorReport(partner="huur", amount="1500.00", arrears_since="2026-09-01", signal_date="2026-11-20",
                      creditor="Woonstad", creditor_iban=ESSENT)


def test_a_name_matches_with_initials_and_without_accents_but_not_another_surname():
    names = ["Sanne de Vries", "Zoë Öztürk"]
    assert same_person("S. de Vries", names) and same_person("sanne DE VRIES", names)
    assert same_person("Z. Ozturk", names)
    assert not same_person("S. de Jong", names) and not same_person("P. de Vries", names)
    assert not same_person("", names)


def test_an_address_is_a_dutch_postcode_and_a_house_number_as_written_once():
    assert checked_address("3511 ab", "12 a", " Oudegracht ", "") == {
        "postcode": "3511AB", "number": "12A", "street": "Oudegracht", "place": None}
    for code, number in (("0511AB", "1"), ("3511", "1"), ("3511AB", "0"), ("3511AB", "")):
        with pytest.raises(DomainError):
            checked_address(code, number)


def test_partner_types_are_the_laws_four_and_the_municipalitys_own():
    assert check_partner("Energie", ()) == "energie"
    assert check_partner(" Gemeentelijke  belastingen", ("gemeentelijke belastingen",)) == "gemeentelijke belastingen"
    with pytest.raises(DomainError, match="HHB_PARTNER_TYPES"):
        check_partner("Telecom", ())


def test_a_report_is_one_debt_and_a_later_report_updates_it_while_an_older_one_does_not():
    made = household("HHB-2026-0001", charge("huur", "700.00"))
    first = made.receive_report(RENT, date(2026, 11, 20), "job")
    assert (first["new"], first["debts_added"]) == (1, 1)
    assert made.receive_report(RENT, date(2026, 11, 20), "job") == {"new": 0, "debts_known": 1}
    later = replace(RENT, amount="2100.00", signal_date="2026-12-20")
    assert made.receive_report(later, date(2026, 12, 20), "job") == {"new": 0, "debts_updated": 1}
    assert made.receive_report(RENT, date(2026, 11, 20), "job") == {"new": 0, "debts_known": 1}
    [debt] = made.debt_rows()
    assert (debt["amount"], debt["kind"], debt["source"], debt["since"]) == (
        "2100.00", "huur", "creditor-report", "2026-09-01")


def test_an_eviction_date_is_a_critical_signal_ranked_before_every_other():
    made = household("HHB-2026-0001", charge("huur", "700.00"))
    made.receive_report(replace(RENT, eviction_date="2026-12-14"), date(2026, 11, 20), "job")
    eviction = made.signals[f"{EVICTION_PLANNED}:huur:2026-12-14"]
    assert eviction.severity == CRITICAL and made.signals["external:huur:2026-09-01"].severity == CRITICAL
    assert rank(EVICTION_PLANNED, CRITICAL) < rank("arrears", CRITICAL) == SEVERITY_RANK[CRITICAL]
    assert made.receive_report(RENT, date(2026, 11, 20), "job")["new"] == 0  # the arrears were reported already
    assert rank("external", HIGH) == SEVERITY_RANK[HIGH]


def test_the_queue_holds_a_report_once_and_gives_it_out_once():
    queue = CreditorReportQueue()
    assert queue.queue([(RENT, "no household"), (RENT, "no household")], date(2026, 11, 21), "job") == 1
    assert queue.queue([(RENT, "no household")], date(2026, 11, 22), "job") == 0
    [row] = queue.rows()
    assert row["report"] == RENT.id and row["why"] == "no household"
    assert queue.assign(RENT.id, "HHB-2026-0001", date(2026, 11, 23), "t") == RENT
    assert queue.rows() == [] and queue.rows(None)[0]["assigned_to"] == "HHB-2026-0001"
    with pytest.raises(DomainError, match="assigned"):
        queue.assign(RENT.id, "HHB-2026-0002", date(2026, 11, 23), "t")
