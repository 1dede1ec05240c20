"""The main job, end to end, on the demo personas (the README's first command)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from huishoudboekje import households
from huishoudboekje.engine import Engine

from .documents import read_specs


def run_demo(engine: Engine, documents: list[Path], console: Console) -> None:
    specs = read_specs(documents)
    results = households.onboard(engine, specs, actor="demo")
    table = Table("dossier", "status", "team", "participant", "incomes", "charges", title="Onboarded")
    for result in results:
        h = engine.household(result.dossier)
        incomes = [a for a in h.agreements.values() if a.kind == "income"]
        charges = [a for a in h.agreements.values() if a.kind == "charge"]
        table.add_row(h.dossier, result.status, h.team, h.participants[0].name,
                      f"{len(incomes)}", f"{len(charges)}")
    console.print(table)
