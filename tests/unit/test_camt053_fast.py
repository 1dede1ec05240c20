"""The fast path of the camt.053 reader (`adapters/camt053/fast.py`) reads every entry
as the general reader (`adapters/camt053/general.py`) does: the same statements, or the
same refusal. The two are kept in step by this test, not by comments.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.camt053 import fast, parse_camt053
from huishoudboekje.domain.statement import StatementError
from tests.unit.test_camt053 import CREDITOR_IBAN, DEBTOR_IBAN, NS02, NS08, document, entry, statement, tx


def _parse_or_refusal(xml: bytes, planned: bool, monkeypatch: pytest.MonkeyPatch):
    """The statements of `xml` (or its refusal), read with or without the per-shape plans."""
    with monkeypatch.context() as patched:
        patched.setattr(fast, "_PLANS", {})
        if not planned:
            patched.setattr(fast._Planned, "of", classmethod(lambda cls, ntry: None))
        try:
            return parse_camt053(xml, "same.xml")
        except StatementError as error:
            return str(error)


def _mostly(usual: list, rare: list) -> st.SearchStrategy:
    """Usual values most of the time: an entry reaches the end of the fast path only if
    every one of its fields can be read."""
    return st.sampled_from(usual * 4 + rare)


_TEXTS = _mostly(["Huur 03-2024", "  Zorgtoeslag\n  2024 "], ["", "é ü", "NOTPROVIDED", "<![CDATA[a & b]]>"])
_DATES = _mostly(["<Dt>2024-03-01</Dt>", "<DtTm>2024-03-02T10:00:00</DtTm>"],
                 ["<Dt>2024-02-30</Dt>", "<Dt> </Dt>", None])


@st.composite
def _entries(draw) -> str:
    details = []
    for _ in range(draw(_mostly([1], [0, 2]))):  # two TxDtls: a batch, read the general way
        details.append(tx(
            draw(_mostly([None], ["12.50"])),
            ustrd=tuple(draw(st.lists(_TEXTS, max_size=2))),
            ref=draw(_mostly([None], ["RF18 5390 0754 7034"])),
            e2e=draw(_mostly([None, "E2E-1"], ["NOTPROVIDED", " e2e "])),
            dbtr=draw(_mostly([("Gemeente  Utrecht", DEBTOR_IBAN), None], [("", "nl20 ingb 0001 2345 67")])),
            cdtr=draw(_mostly([None, ("Eneco", CREDITOR_IBAN)], [])),
            v08=draw(st.booleans()),
            extra=draw(_mostly([""], ["<AddtlTxInf>Extra  \n info</AddtlTxInf>",
                                      "<Refs><AcctSvcrRef>TXREF</AcctSvcrRef></Refs>"])),
        ))
    return entry(
        draw(_mostly(["12.50", " 7.00 "], ["-3.10", "1.005", "abc", None])),
        draw(_mostly(["CRDT", "DBIT"], [" dbit ", "XXXX", None])),
        draw(_DATES),
        draw(_DATES),
        tuple(details),
        status=draw(_mostly(["<Sts>BOOK</Sts>", "<Sts><Cd>BOOK</Cd></Sts>"], ["<Sts>PDNG</Sts>", ""])),
        ref=draw(_mostly(["<AcctSvcrRef>BANKREF1</AcctSvcrRef>"], ["<NtryRef>N1</NtryRef>", ""])),
        extra=draw(_mostly([""], ["<AddtlNtryInf>Kosten</AddtlNtryInf>", "<!-- a comment -->"])),
    )


@given(entries=st.lists(_entries(), min_size=1, max_size=4), pretty=st.booleans(),
       prefix=st.sampled_from([None, "camt"]), ns=st.sampled_from([NS02, NS08]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_entries_of_a_known_shape_read_as_by_the_general_reader(entries, pretty, prefix, ns, monkeypatch):
    # Entries repeat, so each shape is read once to make its plan and again through it.
    xml = document(statement(*entries, *entries), ns=ns, prefix=prefix)
    if pretty:  # as most banks write it: whitespace between the elements
        xml = xml.replace(b"><", b">\n    <")
    assert _parse_or_refusal(xml, True, monkeypatch) == _parse_or_refusal(xml, False, monkeypatch)
