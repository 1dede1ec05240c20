"""`hhb` commands for bank statements and the unmatched queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from .common import (ActorOption, DbOption, JsonOption, actor_of, app, emit, err, fail, guarded, out, parse_day,
                     services, settings)


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="camt.053 or MT940 statement files")],
    allow_unbalanced: Annotated[bool, typer.Option("--allow-unbalanced",
        help="Import statements whose entries do not add up to the closing balance")] = False,
    day: Annotated[Optional[str], typer.Option("--date", help="The import date (default: today); value dates "
                                               "more than HHB_VALUE_DAYS_AHEAD days after it are refused")] = None,
    db: DbOption = None, actor: ActorOption = None, as_json: JsonOption = False,
) -> None:
    """Import bank statements; all files or none."""
    from functools import partial

    from ..statements import parse_statement_files

    config = settings()
    today = parse_day(day, "--date") if day is not None else date.today()
    parse = partial(parse_statement_files, today=today, days_ahead=config.value_days_ahead)
    statements = guarded(lambda: _parse_with_progress(files, config.max_statement_bytes, parse))
    svc = services(db)
    result = guarded(lambda: svc.import_statements(statements, actor_of(actor), allow_unbalanced))
    svc.catch_up()
    summary = {k: getattr(result, k) for k in
               ("files", "transactions", "new", "duplicates", "matched", "unmatched", "payments_confirmed",
                "payments_returned")}
    if as_json:
        emit(summary)
        return
    for key, value in summary.items():
        out.print(f"{key:>20}: {value}")
    for line in result.unbalanced:
        out.print(f"[yellow]imported although unbalanced:[/] {line}")


def _parse_with_progress(files: list[Path], max_bytes: int, parse: Callable) -> list:
    """Parse file by file; a progress bar on a terminal when there is more than one."""
    if len(files) < 2 or not err.is_terminal:
        return parse(files, max_bytes)
    from rich.progress import track

    statements: list = []
    for path in track(files, description="reading statements", console=err, transient=True):
        statements.extend(parse([path], max_bytes))
    return statements


@app.command("unmatched")
def list_unmatched(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The queue of bank transactions that were not booked automatically."""
    rows = services(db, create=False).unmatched()
    if as_json:
        emit(rows)
        return
    table = Table("transaction", "value date", "amount", "counterparty", "description", "reason", "candidates")
    for r in rows:
        table.add_row(r["transaction"], r["value_date"], r["amount"], r["counterparty"]["name"] or "",
                      r["description"][:40], r["reason"] or "", ", ".join(r["candidates"]))
    out.print(table)


@app.command("book")
def book_(
    transaction: str,
    dossier: Annotated[Optional[str], typer.Argument()] = None,
    agreement: Annotated[Optional[str], typer.Argument()] = None,
    ignore: Annotated[bool, typer.Option("--ignore", help="Mark as not ours (e.g. bank costs)")] = False,
    municipality: Annotated[bool, typer.Option("--municipality",
        help="The municipality's own money: a credit funds the buffer, a debit is its own cost")] = False,
    undo: Annotated[bool, typer.Option("--undo", help="Undo an earlier booking or ignore")] = False,
    as_return: Annotated[bool, typer.Option("--as-return",
        help="Accept a queued credit with our end-to-end id as the return of that payment")] = False,
    deduction: Annotated[Optional[str], typer.Option("--deduction", metavar="KIND",
        help="Book a debit someone else made as a deduction from the household's money: "
             "verrekening, beslag, bankkosten or overig")] = None,
    against: Annotated[Optional[str], typer.Option("--agreement",
        help="With --deduction: the income it is set off against (e.g. zorgtoeslag)")] = None,
    reason: Annotated[str, typer.Option("--reason")] = "",
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Book a transaction from the queue onto an income agreement, book a debit as a
    deduction (--deduction), ignore it, undo, or accept a queued credit as the return of
    one of our payments (--as-return)."""
    from huishoudboekje import deductions
    from huishoudboekje import statements as service

    svc = services(db)
    store = svc.engine
    who = actor_of(actor)
    if undo:
        recorded = guarded(lambda: service.undo(store, transaction, who, reason or "undone by staff"))
    elif as_return:
        recorded = guarded(lambda: service.accept_return(store, transaction, who))
    elif municipality:
        from huishoudboekje.treasury import mark_municipal

        recorded = guarded(lambda: mark_municipal(store, transaction, who, reason or "the municipality's own"))
    elif ignore:
        recorded = guarded(lambda: service.ignore(store, transaction, who, reason or "not ours"))
    elif deduction is not None and dossier:
        if agreement and against and agreement != against:
            fail(f"book: the agreement is given twice, as {agreement} and as --agreement {against}")
        income = against or agreement
        recorded = guarded(lambda: deductions.book(store, transaction, dossier, deduction, income, who))
    elif dossier and agreement:
        recorded = guarded(lambda: service.book(store, transaction, dossier, agreement, who))
    else:
        fail("book: give DOSSIER and AGREEMENT, DOSSIER and --deduction KIND, or --municipality, --ignore or --undo")
    svc.catch_up()
    emit(service.to_dict(recorded))
