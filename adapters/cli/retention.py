"""`hhb retention run` (erase what is past the retention period) and `hhb privacy migrate`
(copy a store into a new one with its personal data sealed)."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje.domain.errors import DomainError

from .common import DbOption, JsonOption, app, emit, err, fail, guarded, out, parse_day, services, settings

retention_app = typer.Typer(help="The retention period (HHB_RETENTION_YEARS): erase what is past it.",
                            no_args_is_help=True)
app.add_typer(retention_app, name="retention")
privacy_app = typer.Typer(help="Privacy of a whole store: migrate an existing store.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@retention_app.command("run")
def retention_run(
    day: Annotated[Optional[str], typer.Option("--date", help="Run as of this date (default: today)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be erased; erase nothing")] = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Erase the personal data of every household whose participation ended more than
    HHB_RETENTION_YEARS (7) years before --date, unless it takes part again or holds money;
    one already erased is left alone. Also run each night, after paying."""
    svc = services(db, create=False)
    today = parse_day(day, "--date") if day is not None else svc.local_now().date()
    summary = guarded(lambda: svc.retention(today, dry_run=dry_run))
    if as_json:
        emit(summary)
        return
    verb = "would erase" if dry_run else "erased"
    gone = "to erase" if dry_run else "erased"
    table = Table("dossier", "participation ended", "kept until", "outcome")
    for row in summary["due"]:
        done = dry_run or any(e["dossier"] == row["dossier"] for e in summary["erased"])
        table.add_row(row["dossier"], row["ended"], row["kept_until"], verb if done else "failed")
    for row in summary["refused"] + summary["failed"]:
        table.add_row(row["dossier"], row["ended"], row["kept_until"], f"not erased: {row['reason']}")
    if table.row_count:
        out.print(table)
    out.print(f"{summary['retention_years']} years before {summary['date']}: {len(summary['due'])} {verb}, "
              f"{len(summary['refused'])} held back, {summary['already_erased']} erased before; "
              f"{summary.get('unmatched_lines_erased', 0)} statement lines booked to nobody {gone}, "
              f"{summary.get('maatwerk_residents_erased', 0)} maatwerk residents {gone}", highlight=False)
    if summary["failed"]:
        raise typer.Exit(1)


@privacy_app.command("migrate")
def privacy_migrate(
    to: Annotated[str, typer.Option("--to", help="The new, empty store: postgresql://… or sqlite:///FILE")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Copy the store (--db) into a new, empty one (--to), every event written anew so its
    personal data is sealed with its household's key; ids, versions and order kept. Then
    build the read models and check that every household has the same money and history."""
    from ..migrate import migrate
    from ..store import StoreError

    def report(what: str, done: int, of: int) -> None:
        if not as_json and err.is_terminal:
            sys.stderr.write(f"\r{what}: {done}/{of}")

    try:
        summary = migrate(db, to, settings(), progress=report)
    except (StoreError, DomainError) as exc:
        fail(str(exc))
    finally:
        if not as_json and err.is_terminal:
            sys.stderr.write("\n")
    if as_json:
        emit(summary)
    else:
        _show(summary)
    if not summary["same"]:
        raise typer.Exit(1)


def _show(summary: dict) -> None:
    out.print(f"from {summary['from']}\nto   {summary['to']}", highlight=False)
    out.print(f"{summary['events']} events of {summary['aggregates']} aggregates written anew, "
              f"{summary['access_log_entries']} access-log entries copied, {summary['erased']} erased keys kept "
              "erased, read models built", highlight=False)
    if summary["same"]:
        out.print(f"checked: all {summary['households']} households have the same money and history", highlight=False)
        return
    for row in summary["different"]:
        out.print(f"DIFFERENT {row['dossier']} ({row['what']}): old {row['old']} new {row['new']}", highlight=False)
    for ident in summary["aggregates_different"]:
        out.print(f"DIFFERENT aggregate {ident}: not every event arrived", highlight=False)
    out.print("the new store is not to be used: start again with an empty one", highlight=False)
