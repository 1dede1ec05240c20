"""`hhb creditors`: the register of creditor organisations staff pick from in the
Nieuw huishouden form (/medewerker/huishoudens/nieuw)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, guarded, out, services

creditors_app = typer.Typer(help="The register of creditor organisations: name, IBANs, category.",
                            no_args_is_help=True)
app.add_typer(creditors_app, name="creditors")


@creditors_app.command("import")
def creditors_import(file: Path, db: DbOption = None, actor: ActorOption = None) -> None:
    """Add or update the creditors of a YAML or JSON list, all or nothing: each entry has
    name, ibans (a list), category (huur, energie, …) and optionally reference_format."""
    from huishoudboekje import creditors

    from ..documents import load_document

    def run() -> dict:
        data = load_document(file)
        return creditors.record(services(db).engine, data, actor_of(actor), where=str(file))

    emit(guarded(run))


@creditors_app.command("list")
def creditors_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The registered creditors, by name."""
    from huishoudboekje import creditors

    rows = creditors.listing(services(db, create=False).engine)
    if as_json:
        emit(rows)
        return
    table = Table("name", "category", "IBANs", "reference format")
    for r in rows:
        table.add_row(r["name"], r["category"], ", ".join(r["ibans"]), r["reference_format"] or "")
    out.print(table)
