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
