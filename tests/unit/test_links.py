"""A household's personal links: which are about to expire (the werkvoorraad's list), and
finding one household's links also in a store whose index did not name their household yet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adapters.store import open_engine
from huishoudboekje import access
from huishoudboekje.domain.access import PARTICIPANT, Credential, expiring, hash_secret
from huishoudboekje.engine import NotFound

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


def link(secret: str, expires_in: int | None, dossier: str = "HHB-2026-0001", revoked: bool = False) -> Credential:
    credential = Credential(secret_hash=hash_secret(secret), role=PARTICIPANT, name="x", team=None, dossier=dossier,
                            expires=NOW + timedelta(days=expires_in) if expires_in is not None else None,
                            issued=NOW - timedelta(days=1), actor="test")
    if revoked:
        credential.revoke(NOW, "test")
    return credential


def test_a_household_whose_every_valid_link_expires_soon_is_named_with_its_newest():
    soon, sooner = link("a", 3), link("b", 2)
    assert expiring([sooner, soon], NOW, 14) is soon
    assert expiring([soon, link("c", 60)], NOW, 14) is None  # a link that lasts was made already
    assert expiring([soon, link("d", None)], NOW, 14) is None
    assert expiring([link("e", 60)], NOW, 14) is None
    assert expiring([link("f", 3, revoked=True), link("g", -1)], NOW, 14) is None  # none valid: nothing to renew
    assert expiring([], NOW, 14) is None


@pytest.fixture
def engine(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'events.sqlite'}", tmp_path / "var")
    yield engine
    engine.close()


def test_links_of_a_household_are_found_also_where_the_index_does_not_name_it(engine):
    log = access._log(engine)
    for secret, dossier, older in (("a", "HHB-2026-0001", True), ("b", "HHB-2026-0002", False),
                                   ("c", "HHB-2026-0001", False)):
        credential = link(secret, 30, dossier)
        logged = log.trigger_event(credential_id=credential.id, role=PARTICIPANT, dossier=dossier)
        if older:  # as a store of the previous version wrote it: no dossier in the index
            object.__getattribute__(logged, "__dict__").pop("dossier")
        engine.save(credential, logged)
    found = access.links(engine, {"HHB-2026-0001"})
    assert [c.short_id for c in found] == [hash_secret(s)[:12] for s in ("a", "c")]
    assert len(access.links(engine)) == 3

    other = hash_secret("b")[:12]
    with pytest.raises(NotFound):  # another household's link is not revoked from this one's page
        access.revoke_link(engine, "HHB-2026-0001", other, "staff:Anna Jansen")
    revoked = access.revoke_link(engine, "HHB-2026-0001", hash_secret("a")[:12], "staff:Anna Jansen", NOW)
    assert revoked.revoked == NOW
    with pytest.raises(NotFound):  # once is enough
        access.revoke_link(engine, "HHB-2026-0001", hash_secret("a")[:12], "staff:Anna Jansen")
