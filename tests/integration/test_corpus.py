"""The VNG Huishoudboekje sample statements as a compatibility corpus (skips without them).

Every well-formed file imports (the hand-made ones often have balances that do not add
up, so with --allow-unbalanced); every broken one is refused with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.statements import parse_statement_file
from adapters.store import open_engine
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.statements import import_statements

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "huishoudboekje-vng"
FILES = sorted(p for folder in ("camt", "camt-edge-cases", "mt940") for p in (SAMPLES / folder).glob("*")
               if p.is_file()) if SAMPLES.is_dir() else []
BROKEN = {  # file: what the refusal must say
    "CAMT_DANGEROUS.xml": "DTD",
    "incorrect.xml": "pain.001",
    "Wrong_format_CAMT.053_v1.xml": "camt.053.001.01",
    "incorrectCamtType.xml": "camt.050",
    "Negative_amount_CAMT.053_v1.xml": "entry 1",
    "camt053_AccountIdentification_Missing.xml": "no account",
    "camt053_Transactions_One_MissingCdtDbtInd.xml": "entry 1",
    "camt053_Transactions_One_Missing_Amount.xml": "entry 1",
    "camt053_Transactions_One_Missing_AmountAndCdtDbtInd.xml": "entry 1",
    "camt053_Transactions_One_OnlyTxtAmntTag_Amount.xml": "entry 1",
    "MT940-incorrect.txt": "neither camt.053 XML nor MT940",
}


@pytest.mark.skipif(not FILES, reason="../shared/samples/huishoudboekje-vng is absent")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_sample_imports_or_is_refused_with_a_reason(path, tmp_path):
    if path.name in BROKEN:
        with pytest.raises(StatementError) as refused:
            parse_statement_file(path, 50 * 1024 * 1024)
        assert path.name in str(refused.value) and BROKEN[path.name] in str(refused.value)
        return
    statements = parse_statement_file(path, 50 * 1024 * 1024)
    accounts = sorted({s.account for s in statements}) or ["NL39BNGH0285009999"]
    engine = open_engine(f"sqlite:///{tmp_path / 'events.sqlite'}", tmp_path / "var")
    try:
        result = import_statements(engine, statements, managed=accounts, allow_unbalanced=True)
        again = import_statements(engine, statements, managed=accounts, allow_unbalanced=True)
    finally:
        engine.close()
    assert result.transactions == sum(len(s.transactions) for s in statements)
    assert result.new + result.duplicates == result.transactions
    assert again.new == 0 and again.duplicates == result.transactions
