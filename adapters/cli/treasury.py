"""`hhb balance` and `hhb journal`: the managed accounts against the bank, for finance
staff and the accountant."""

from __future__ import annotations

import csv
import sys
from datetime import date
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from huishoudboekje.domain.iban import Iban, IbanError
from huishoudboekje.domain.treasury import TERMS
from huishoudboekje.treasury import JOURNAL_COLUMNS

from .common import DbOption, JsonOption, app, emit, err, fail, guarded, out, parse_day, services

# The terms as finance staff read them: Dutch first, then English.
TERM_WORDS = {
    "opening": "beginsaldo bij overname / opening balance at takeover",
    "households": "geld van huishoudens / held for households",
    "buffer_outstanding": "- buffer uitgeleend / buffer outstanding",
    "claims": "- vorderingen / claims",
    "in_flight": "betalingen onderweg / payments not yet executed",
    "funding": "financiering gemeente / municipality's funding",
    "own_costs": "kosten gemeente / municipality's own costs",
    "not_ours": "gemarkeerd: niet van ons / marked not ours",
    "maatwerk": "maatwerk betaald (budget van het team) / maatwerk paid from the team's budget",
    "after_statement": "- na dit afschrift geboekt / booked after this statement",
}


@app.command("balance")
def balance(
    account: Annotated[Optional[str], typer.Option("--account", help="One managed account (IBAN)")] = None,
    day: Annotated[Optional[str], typer.Option("--date", help="The last statement closing on or before this "
                                               "day (default: the last statement)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """The daily balance check (kasaansluiting): the bank's closing balance against the
    engine's own account of that money, term by term, with the open items and the
    difference. A difference raises a critical signal."""
    iban = None
    if account is not None:
        try:
            iban = str(Iban(account))
        except IbanError as exc:
            fail(f"--account {account}: {exc}")
    on = parse_day(day, "--date") if day is not None else None
    svc = services(db, create=False)
    report = guarded(lambda: svc.balance(iban, on, signal_on=date.today()))
    raised = report.pop("signals_raised")
    if raised:
        svc.catch_up()
    for key in raised:
        err.print(f"[red]signaal voor de teamleider / signal for the team lead:[/] {key}", highlight=False)
    if as_json:
        emit(report)  # as GET /balance answers
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    for check in report["accounts"]:
        state = "[green]in orde / in order[/]" if check["in_order"] else (
            "[red]VERSCHIL / DIFFERENCE[/]" if check["difference"] != "0.00" else "[yellow]open posten / open items[/]")
        out.print(f"\n[bold]{check['account']}[/] afschrift van / statement of {check['date']}: {state}")
        table = Table("post / term", "bedrag / amount", show_header=True)
        for name in TERMS:
            table.add_row(TERM_WORDS[name], check["terms"][name])
        table.add_row("[bold]volgens de boeken / per the books[/]", check["engine"])
        table.add_row("open posten / open items", check["open_total"])
        table.add_row("[bold]saldo bank / bank's closing balance[/]", check["bank_closing_balance"])
        table.add_row("[bold]onverklaard verschil / unexplained difference[/]", check["difference"])
        out.print(table)
        for item in check["open_items"]:
            out.print(f"  open: {item['transaction']} {item['booking_date']} {item['amount']} "
                      f"{item['counterparty'] or ''} {item['description'][:40]}")
    for iban in report["without_statement"]:
        out.print(f"\n[yellow]{iban}: nog geen afschrift met saldo / no statement with balances yet[/]")
    buffer = report["buffer"]
    if buffer["ceiling"] is not None:
        warning = " [red]bijna aan het plafond / near the ceiling[/]" if buffer["near_ceiling"] else ""
        out.print(f"\nbuffer uitgeleend / buffer exposure: {buffer['exposure']} van / of {buffer['ceiling']}{warning}")
    else:
        out.print(f"\nbuffer uitgeleend / buffer exposure: {buffer['exposure']}")


@app.command("journal")
def journal(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """A month's journal for the accountant: one line per euro movement the bank booked,
    with the household it is of; per account the lines add up to the statements."""
    if fmt not in ("csv", "json"):
        fail(f"--format {fmt}: choose csv or json")
    result = guarded(lambda: services(db, create=False).journal(month))
    if fmt == "json" or as_json:
        emit(result)
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=JOURNAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(result["lines"])
    for account, sums in result["accounts"].items():
        if sums["adds_up"] is False:
            sys.stderr.write(f"let op / note: {account}: the lines add up to {sums['lines_total']}, the month's "
                             f"statements moved {sums['statements_movement']}\n")
