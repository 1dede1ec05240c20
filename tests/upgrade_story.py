"""The story a store of an earlier version is written with (tests/data), and its sequel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from adapters.generated import Tx, camt053

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "HHB-2026-0001.yaml"
HOUSEHOLDS = 45
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")


def dossier(n: int) -> str:
    return f"HHB-2026-{1000 + n}"


def documents() -> list[str]:
    return [EXAMPLE.read_text().replace("HHB-2026-0001", dossier(n)) for n in range(HOUSEHOLDS)]


def _first() -> list[Tx]:
    txs = []
    for n in range(HOUSEHOLDS):
        txs.append(Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"{dossier(n)} zorgtoeslag"))
        txs.append(Tx(f"{10 + n}.00", date(2026, 11, 21), "NL91ABNA0417164300", "J. Jansen", f"Terugbetaling {n}"))
    return txs


def first_statement() -> bytes:
    """November's zorgtoeslag of every household, and a stranger's credit each."""
    return camt053(_first(), statement_id="A")


def second_statement() -> bytes:
    """The first statement again (all known) and November's bijstand of every household."""
    bijstand = [Tx("1320.50", date(2026, 11, 30), *GEMEENTE, f"Uitkering {dossier(n)}") for n in range(HOUSEHOLDS)]
    return camt053(_first() + bijstand, statement_id="B")
