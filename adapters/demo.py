"""The main job, end to end, on the demo personas (the README's first command).

Onboard the three personas, import a generated bank statement with their November
incomes (persona 3's benefit has not started yet), run the pay date of 1 December,
write the pain.001 file and show what each household was paid; then a finance person
(not the one who onboarded) reviews the pending file and releases it to the outbox.
Running it again changes nothing: every step is idempotent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from huishoudboekje import households, teams
from huishoudboekje.config import Settings
from huishoudboekje.domain.agreement import INCOME
from huishoudboekje.domain.money import total
from huishoudboekje.engine import Engine
from huishoudboekje.statements import import_statements, unmatched
from huishoudboekje.treasury import balance, mark_municipal

from .camt053 import parse_camt053
from .documents import read_specs
from .generated import Tx, camt053

MONTH = (date(2026, 11, 1), date(2026, 11, 30))
PAY_DATE = date(2026, 12, 1)
LATE = {"HHB-DEMO-0003"}  # the statushouder's benefit starts two months late
WAGES = {"HHB-DEMO-0002": "983.41"}  # a thin month for the zero-hours worker


DEMO_FINANCE = "Fatima Financiën"  # the second pair of eyes: not "demo", who onboarded the households

# The demo's teams, as staff would register them before onboarding their first household.
DEMO_TEAMS = {"phone": "030 286 00 00", "email": "wijkteam@example.org", "hours": "ma-vr 9.00-17.00"}


def register_teams(engine: Engine, names: list[str], contact: dict[str, str] | None = None) -> None:
    """Register the teams that are not registered yet (running the demo twice adds nothing)."""
    known = {team["name"] for team in teams.listing(engine)}
    for name in names:
        if name not in known:
            teams.add(engine, name, "demo", **(contact or {}))


def run_demo(engine: Engine, documents: list[Path], settings: Settings, console: Console,
             reconcile: Callable[[date], object],
             release: Callable[[date], list[dict[str, Any]]] | None = None) -> None:
    """`release`: a finance person's review and release of the files still pending (as
    of the day given), returning each file's review; without it the files stay pending."""
    specs = read_specs(documents)
    register_teams(engine, sorted({spec.team for _, spec in specs}), DEMO_TEAMS)
    results = households.onboard(engine, specs, actor="demo", managed=settings.managed_accounts)
    console.print("[bold]1. Onboarded[/]: " + ", ".join(f"{r.dossier} ({r.status})" for r in results))

    statement = _november_statement(engine, [r.dossier for r in results], settings.default_account)
    path = settings.var_dir / "demo" / "statement-2026-11.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(statement)
    imported = import_statements(engine, parse_camt053(statement, str(path)),
                                 managed=settings.managed_accounts, actor="demo")
    console.print(f"[bold]2. Imported[/] {path}: {imported.new} new, {imported.duplicates} already known, "
                  f"{imported.matched} matched, {imported.unmatched} for staff")
    for queued in unmatched(engine):  # the bank's own costs are the municipality's, not a household's
        if queued.transaction.description.startswith("Kosten betalingsverkeer"):
            mark_municipal(engine, queued.id, "demo", "bankkosten: voor rekening van de gemeente")
            console.print(f"   {queued.id} ({queued.transaction.amount}, bank costs) booked as the municipality's own")

    summary = reconcile(PAY_DATE)
    console.print(f"[bold]3. Pay date {PAY_DATE}[/]: {summary}")
    console.print(_paid_table(engine, [r.dossier for r in results]))
    for name in sorted((settings.var_dir / "payments").glob("*.xml")):
        console.print(f"[bold]4. Payment file[/] {name}")
    reviewed = release(PAY_DATE) if release is not None else []
    if release is not None and not reviewed:
        console.print("   nothing waits for a second person's release")
    for review in reviewed:
        flags = Counter(flag["flag"] for flag in review["flags"])
        noted = ", ".join(f"{count}× {flag}" for flag, count in sorted(flags.items())) or "nothing unusual"
        console.print(f"   reviewed: {review['count']} payments, {review['control_sum']}, flagged: {noted}; "
                      f"[bold]released[/] by {DEMO_FINANCE} (four eyes) into {settings.outbox}")
    report = balance(engine, managed=settings.managed_accounts, default_account=settings.default_account)
    for check in report.checks:
        words = "in order" if check.in_order else f"difference {check.difference}, open items {check.open_total}"
        console.print(f"[bold]5. Balance check[/] {check.account} on {check.statement.closing_date}: bank "
                      f"{check.bank}, books {check.engine}: {words} (hhb balance shows each term)")


def _november_statement(engine: Engine, dossiers: list[str], account: str) -> bytes:
    transactions = []
    for dossier in dossiers:
        if dossier in LATE:
            continue
        household = engine.household(dossier)
        for agreement in household.agreements.values():
            if agreement.kind != INCOME:
                continue
            for day in agreement.schedule.occurrences(*MONTH):
                amount = WAGES.get(dossier) if agreement.category == "loon" else None
                terms = " ".join(agreement.match_terms)
                transactions.append(Tx(amount or str(agreement.amount_on(day)), day,
                                       agreement.counterparty.iban, agreement.counterparty.name,
                                       f"{terms} {day:%m-%Y}"))
    transactions.append(Tx("-4.95", MONTH[1], None, None, "Kosten betalingsverkeer november"))
    transactions.sort(key=lambda t: (t.day, t.description))
    return camt053(transactions, account=account, opening="25000.00", statement_id="DEMO-2026-11")


def _paid_table(engine: Engine, dossiers: list[str]) -> Table:
    table = Table("dossier", "participant", "to whom", "what", "amount", "executes on",
                  title=f"Paid on pay date {PAY_DATE}")
    for dossier in dossiers:
        household = engine.household(dossier)
        for instruction in household.instructions_of(PAY_DATE):
            what = instruction.agreement_id or f"leefgeld (part {instruction.part})"
            table.add_row(dossier, household.participants[0].name, instruction.creditor_name, what,
                          str(instruction.amount), instruction.execution_date.isoformat())
        table.add_row(dossier, "", "[dim]buffer owed / reserved[/]", "",
                      f"{household.buffer_outstanding} / {total(household.reserves.values())}", "",
                      end_section=True)
    return table

