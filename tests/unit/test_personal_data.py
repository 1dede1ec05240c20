"""Sealing personal data with a key per household, and erasing it by destroying the key."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from adapters.store import open_engine
from huishoudboekje import personal_data
from huishoudboekje.domain.agreement import Participant
from huishoudboekje.personal_data import ERASED, Keyring, MemoryKeys


def test_a_sealed_text_reads_back_inside_json_also_with_quotes_and_accents():
    keyring, owner = Keyring(MemoryKeys()), uuid4()
    text = 'Zoë "de" Vries\\n'
    token = keyring.seal(owner, text)
    assert token.startswith(f"pd1:{owner.hex}:") and "Zo" not in token
    assert keyring.seal(owner, text) == token  # deterministic: a rebuilt read model is the same
    data = json.dumps({"name": token, "plain": "NL44RABO0123456789"}).encode()
    assert json.loads(keyring.reveal(data)) == {"name": text, "plain": "NL44RABO0123456789"}
    assert keyring.reveal_text(f"aan {token}") == f"aan {text}"


def test_another_owners_key_does_not_open_a_token_and_a_destroyed_key_reads_erased():
    keyring, owner, other = Keyring(MemoryKeys()), uuid4(), uuid4()
    token, kept = keyring.seal(owner, "Sanne"), keyring.seal(other, "Kevin")
    forged = token.replace(owner.hex, other.hex)
    assert keyring.reveal_text(forged) == ERASED
    keyring.destroy(owner)
    assert keyring.reveal_text(token) == ERASED and keyring.reveal_text(kept) == "Kevin"
    assert keyring.seal(owner, "Sanne") == ERASED  # written after the erasure: erased as written
    assert keyring.destroyed(owner) and not keyring.destroyed(other)


def test_a_key_destroyed_by_another_process_reads_erased_here_after_the_check(tmp_path, monkeypatch):
    """Two engines on one store stand for two processes: a server that read a household,
    and `hhb erase` beside it."""
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    server, eraser = open_engine(url, tmp_path / "var"), open_engine(url, tmp_path / "var")
    try:
        owner = uuid4()
        token = server.keyring.seal(owner, "Sanne de Vries")
        assert server.keyring.reveal_text(token) == "Sanne de Vries"
        eraser.keyring.destroy(owner)
        assert eraser.keyring.reveal_text(token) == ERASED
        monkeypatch.setattr(personal_data, "CHECK_EVERY", 0.0)  # the second has passed
        assert server.keyring.reveal_text(token) == ERASED
    finally:
        server.close()
        eraser.close()


def test_a_key_is_made_on_first_use_in_its_own_table_and_no_event_holds_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    engine = open_engine(url, tmp_path / "var")
    try:
        owner = uuid4()
        engine.keyring.seal(owner, "Sanne de Vries")
        with engine.factory.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT owner, key FROM hhb_personal_keys")
            [row] = cursor.fetchall()
        assert row["owner"] == owner.hex and len(bytes(row["key"])) == 32
        assert engine.event_count() == 0  # making a key wrote no event
    finally:
        engine.close()


@pytest.mark.parametrize("contact", [None, "06-12345678"])
def test_a_participant_is_sealed_field_by_field(contact):
    from huishoudboekje.sealing import seal_aggregate_state

    sealed = seal_aggregate_state({"participants": [Participant("Sanne", "NL44RABO0123456789", contact, "1/2")],
                                   "dossier": "HHB-1", "address": {"postcode": "3511 AB", "number": "12"}},
                                  lambda text: f"<{text}>")
    [p] = sealed["participants"]
    assert (p.name, p.iban, p.contact, p.share) == ("<Sanne>", "<NL44RABO0123456789>",
                                                    None if contact is None else f"<{contact}>", "1/2")
    assert sealed["dossier"] == "HHB-1" and sealed["address"] == {"postcode": "<3511 AB>", "number": "<12>"}


def _mark(text: str) -> str:
    """Stands for a seal: visible, and (as `Keyring.seal`) an empty text stays empty."""
    return f"<{text}>" if text else text


def test_what_staff_typed_and_statement_lines_are_sealed_and_the_money_is_not():
    from datetime import date

    from huishoudboekje.domain.deductions import Deduction
    from huishoudboekje.domain.money import Money
    from huishoudboekje.domain.signals import Signal, SignalFact
    from huishoudboekje.sealing import seal_event_state

    deduction = Deduction("tx1", "beslag", Money("40.00"), date(2026, 12, 3), None, "Deurwaarder Jansen",
                          "beslag op loon S. de Vries", Money("40.00"), Money.zero())
    signal = Signal.raised(SignalFact("external", None, "-", "high", Money("212.40"),
                                      {"partner": "Energie", "reason": "afsluiting dreigt"}), date(2026, 12, 1))
    signal = signal.changed("acknowledged", date(2026, 12, 2), "j.devries", "Gebeld met mevrouw")
    sealed = seal_event_state("DeductionBooked", {"deduction": deduction, "signal": signal, "reason": "typed",
                                                  "amount": Money("40.00"), "actor": "j.devries"}, _mark)
    assert (sealed["deduction"].counterparty, sealed["deduction"].description) == (
        "<Deurwaarder Jansen>", "<beslag op loon S. de Vries>")
    assert sealed["deduction"].amount == Money("40.00") and sealed["amount"] == Money("40.00")
    assert sealed["signal"].details == {"partner": "Energie", "reason": "<afsluiting dreigt>"}
    assert [h["note"] for h in sealed["signal"].history] == ["", "<Gebeld met mevrouw>"]
    assert sealed["reason"] == "<typed>" and sealed["actor"] == "j.devries"
    # the end of participation's reason is a code the team report counts: in the clear
    assert seal_event_state("ParticipationEnded", {"reason": "found-work"}, _mark) == {"reason": "found-work"}


def test_leefgeld_payees_are_sealed_in_rows_without_changing_the_households_own_rows():
    from datetime import date

    from huishoudboekje.domain.instructions import Instruction, Instructions, instruction_row
    from huishoudboekje.domain.money import Money
    from huishoudboekje.sealing import seal_aggregate_state

    def instruction(ident, kind, name, iban):
        return Instruction(ident, f"E2E-{ident}", date(2026, 12, 1), kind, None, date(2026, 12, 1), 1,
                           Money("100.00"), date(2026, 12, 1), name, iban, None)

    rent = instruction("1", "charge", "Woningcorporatie Portaal", "NL20INGB0001234567")
    leefgeld = instruction("2", "leefgeld", "Sanne de Vries", "NL44RABO0123456789")
    held = Instructions([instruction_row(rent), instruction_row(leefgeld)])
    sealed = seal_aggregate_state({"instructions": held}, _mark)["instructions"]
    assert (sealed["1"].creditor_name, sealed["2"].creditor_name) == ("Woningcorporatie Portaal",
                                                                      "<Sanne de Vries>")
    assert sealed["2"].creditor_iban == "<NL44RABO0123456789>" and sealed["2"].amount == Money("100.00")
    assert held["2"].creditor_name == "Sanne de Vries"  # the household in memory keeps its own
