"""`hhb` commands for the pay date: the job, its payment files, the scheduler, the demo."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..bootstrap import Services
from .common import ROOT, DbOption, JsonOption, app, emit, err, guarded, out, parse_day, services, settings


def run_reconcile(svc: Services, through: date, today: date | None = None, show_progress: bool = True):
    from rich.progress import Progress

    if not err.is_terminal:  # logs and supervising processes get plain lines
        def report(done: int, of: int) -> None:
            sys.stderr.write(f"reconcile: {done}/{of} households\n")
            sys.stderr.flush()

        return svc.pay(through, today, progress=report)
    with Progress(console=err, transient=True, disable=not show_progress) as bar:
        task = bar.add_task("paying households", total=None)
        return svc.pay(through, today, progress=lambda done, of: bar.update(task, completed=done, total=of))


@app.command("reconcile")
def reconcile_(
    day: Annotated[Optional[str], typer.Option("--date", help="Run through this date (default: today)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Run the pay-date job for every day since the last completed run, up to --date."""
    through = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db)
    # refused before anything was written: 2; stopped part-way (a rerun finishes it): 1
    summary = guarded(lambda: run_reconcile(svc, through, show_progress=not as_json))
    svc.catch_up()
    for dossier, reason in sorted(summary.held.items()):
        how = "held; its signal could not be recorded" if dossier in summary.unsignalled else "held, with a signal"
        sys.stderr.write(f"let op / note: {dossier} is not paid ({how}): {reason}\n")
    if as_json:
        emit(summary.as_dict())
        return
    for key, value in summary.as_dict().items():
        out.print(f"{key:>16}: {value}")


@app.command("payment-files")
def payment_files(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The payment files the runs have written (as GET /payment-files)."""
    rows = services(db).payment_files()
    if as_json:
        emit(rows)
        return
    table = Table("file", "payments", "total", "debtor account", "sha256")
    for r in rows:
        table.add_row(r["name"], str(r["count"]), r["control_sum"], r["debtor_account"], r["sha256"][:16])
    out.print(table)


@app.command("scheduler")
def scheduler(db: DbOption = None) -> None:
    """Run the job every night (HHB_SCHEDULER_TIME, HHB_TIMEZONE); catches up at start."""
    from ..scheduler import run_scheduler

    run_scheduler(lambda through: nightly(services(db), through), settings(), err)


def nightly(svc: Services, through: date) -> dict:
    """Pay, then send the notices due: a notice that fails never touches a payment,
    which is recorded before any notice is looked at."""
    summary = run_reconcile(svc, through, show_progress=False).as_dict()
    try:  # the daily balance check: a difference is the team lead's signal, never the night's failure
        summary["balance_signals"] = svc.balance(signal_on=through)["signals_raised"]
    except Exception as exc:  # noqa: BLE001 - the payments stand; `hhb balance` checks again
        summary["balance_signals"] = f"not checked: {type(exc).__name__}: {exc}"
    try:
        summary["notices"] = svc.send_notices(through)
    except Exception as exc:  # noqa: BLE001 - the payments stand; `hhb notices send` tries again
        summary["notices"] = f"not sent: {type(exc).__name__}: {exc}"
    return summary


# -- the demo (the README's first command) ----------------------------------------------


@app.command()
def demo(db: DbOption = None) -> None:
    """Run the main job end to end on the demo personas."""
    from ..demo import run_demo

    svc = services(db)
    guarded(lambda: run_demo(svc.engine, sorted((ROOT / "personas").glob("*.yaml")), svc.settings, out,
                             lambda day: run_reconcile(svc, day, today=day).as_dict()))
