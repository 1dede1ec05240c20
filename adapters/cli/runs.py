"""`hhb` commands for the pay date: the job, its payment files, the scheduler, the demo."""

from __future__ import annotations

import logging
import sys
from datetime import date
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..bootstrap import Services
from huishoudboekje.config import Settings
from huishoudboekje.workers import merge_summaries

from .common import (ROOT, ActorOption, DbOption, JsonOption, actor_of, app, emit, err, fail, guarded, out, parse_day,
                     services, settings)


def run_reconcile(svc: Services, through: date, today: date | None = None, show_progress: bool = True,
                  worker: bool = False):
    from ..metrics import timed_run

    return timed_run(svc.settings.var_dir, lambda: _reconcile(svc, through, today, show_progress, worker))


def _reconcile(svc: Services, through: date, today: date | None, show_progress: bool, worker: bool):
    from rich.progress import Progress

    if svc.settings.log_format == "json":  # one JSON line each (adapters/logs.py)
        progress = logging.getLogger("huishoudboekje.reconcile")
        return svc.pay(through, today, progress=lambda done, of: progress.info(
            f"reconcile: {done}/{of} households", extra={"fields": {"done": done, "of": of}}), worker=worker)
    if not err.is_terminal:  # logs and supervising processes get plain lines
        def report(done: int, of: int) -> None:
            sys.stderr.write(f"reconcile: {done}/{of} households\n")
            sys.stderr.flush()

        return svc.pay(through, today, progress=report, worker=worker)
    with Progress(console=err, transient=True, disable=not show_progress) as bar:
        task = bar.add_task("paying households", total=None)
        return svc.pay(through, today, progress=lambda done, of: bar.update(task, completed=done, total=of),
                       worker=worker)


@app.command("reconcile")
def reconcile_(
    day: Annotated[Optional[str], typer.Option("--date", help="Run through this date (default: today)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
    worker: Annotated[bool, typer.Option(
        "--worker", help="Share the night with the other workers on this PostgreSQL (start one per machine)")] = False,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Run the night in this many worker processes on this machine")] = 1,
) -> None:
    """Run the pay-date job for every day since the last completed run, up to --date."""
    through = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db)
    if workers > 1 and not _on_postgres(svc):
        sys.stderr.write("let op / note: SQLite heeft één schrijver; de nacht loopt in één proces / "
                         "SQLite has one writer: the night runs in one process\n")
        workers = 1
    if workers > 1:
        summary = _run_workers(workers, through, db, as_json)
        _report(summary, as_json)
        return
    # refused before anything was written: 2; stopped part-way (a rerun finishes it): 1
    result = guarded(lambda: run_reconcile(svc, through, show_progress=not as_json, worker=worker))
    if not worker or result.days:  # a worker that filed nothing leaves it to the one that did
        svc.catch_up()
    for dossier, reason in sorted(result.held.items()):
        how = "held; its signal could not be recorded" if dossier in result.unsignalled else "held, with a signal"
        sys.stderr.write(f"let op / note: {dossier} is not paid ({how}): {reason}\n")
    _report(result.as_dict(), as_json)


def _on_postgres(svc: Services) -> bool:
    from eventsourcing.postgres import PostgresDatastore

    return isinstance(getattr(svc.engine.recorder, "datastore", None), PostgresDatastore)


def _report(summary: dict, as_json: bool) -> None:
    if as_json:
        emit(summary)
        return
    for key, value in summary.items():
        out.print(f"{key:>16}: {value}")


def _run_workers(count: int, through: date, db: str | None, as_json: bool) -> dict:
    """`count` processes of `hhb reconcile --worker`; their summaries as one. A worker
    that fails fails the command with its exit code (what it did stands: a rerun finishes)."""
    import json
    import subprocess

    command = [sys.executable, "-m", "adapters.cli", "reconcile", "--worker", "--json", "--date", through.isoformat(),
               *(["--db", db] if db else [])]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    outputs = [process.communicate()[0] for process in processes]
    failed = [process.returncode for process in processes if process.returncode]
    if failed:
        raise typer.Exit(failed[0])
    return merge_summaries([json.loads(output.strip().splitlines()[-1]) for output in outputs])


files_app = typer.Typer(help="Payment files: list, show, release, hold (four eyes before the bank).",
                        invoke_without_command=True)
app.add_typer(files_app, name="payment-files")
StateOption = Annotated[Optional[list[str]], typer.Option(
    "--state", help="Only files in this state: pending, held, released, before-review (repeatable)")]


@files_app.callback()
def payment_files(ctx: typer.Context, state: StateOption = None, db: DbOption = None,
                  as_json: JsonOption = False) -> None:
    """The payment files the runs have written, with their review's state (as GET /payment-files)."""
    if ctx.invoked_subcommand is None:
        _list_files(state, db, as_json)


@files_app.command("list")
def payment_files_list(state: StateOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The payment files, with their review's state (as GET /payment-files)."""
    _list_files(state, db, as_json)


def _list_files(states: list[str] | None, db: str | None, as_json: bool) -> None:
    known = ("pending", "held", "released", "before-review")
    for state in states or ():
        if state not in known:
            fail(f"--state: '{state}' is not one of {', '.join(known)}")
    svc = services(db, create=False)
    svc.catch_up()
    rows = svc.payment_files(tuple(states or ()))
    if as_json:
        emit(rows)
        return
    table = Table("file", "state", "executes", "payments", "total", "debtor account", "by", "on")
    for r in rows:
        table.add_row(r["name"], STATE_WORDS.get(r["state"], r["state"]), r["first_execution"] or "",
                      str(r["count"]), r["control_sum"], r["debtor_account"], r["changed_by"] or "",
                      r["changed_on"] or "")
    out.print(table)


STATE_WORDS = {"pending": "wacht op vrijgave / pending", "held": "tegengehouden / held",
               "released": "vrijgegeven / released", "before-review": "verstuurd zonder controle / before review"}


@files_app.command("show")
def payment_files_show(name: str, db: DbOption = None, as_json: JsonOption = False,
                       lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl") -> None:
    """A file as its reviewer reads it: payments by creditor, what is unusual flagged."""
    if lang not in ("nl", "en"):
        fail("--lang: nl or en")
    svc = services(db, create=False)
    svc.catch_up()
    review = guarded(lambda: svc.payment_file(name))
    if as_json:
        emit(review)
        return
    show_review(review, lang)


def show_review(review: dict, lang: str) -> None:
    state = STATE_WORDS.get(review["state"], review["state"])
    out.print(f"[bold]{review['name']}[/]: {state}; {review['count']} betalingen / payments, "
              f"€ {review['control_sum']}, van / from {review['debtor_account']}, uitvoering / executes "
              f"{review['first_execution'] or '-'}", highlight=False)
    if not review["on_disk"] or not review["sha256_matches"]:
        err.print(f"[bold red]let op / note:[/] {review['name']} "
                  + ("staat niet op schijf / is not on disk" if not review["on_disk"] else
                     "wijkt af van wat is vastgelegd; niet versturen / differs from what was recorded; do not send"),
                  highlight=False)
    table = Table("schuldeiser / creditor", "dossier", "wat / what", "bedrag / amount", "kenmerk / reference", "!")
    for creditor in review["creditors"]:
        for n, p in enumerate(creditor["payments"]):
            first = f"{creditor['creditor_name']}\n{creditor['creditor_iban']}" if n == 0 else ""
            what = f"{p['agreement'] or p['kind'] or '?'} {p['period'] or ''}".strip()
            table.add_row(first, p["dossier"] or "?", what, p["amount"], p["reference"] or "",
                          "!" if p["flags"] else "", end_section=n == len(creditor["payments"]) - 1)
    out.print(table)
    for flag in review["flags"]:
        out.print(f"[yellow]! {flag['dossier'] or '?'}[/] {flag['text'][lang]}", highlight=False)


@files_app.command("release")
def payment_files_release(name: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Release a pending or held file to the bank: into the outbox (HHB_OUTBOX_DIR).

    Four eyes: the person releasing it did not prepare it and did not change a household
    it pays that day; the bytes must be those recorded; the account must cover it."""
    who = _person(actor)
    svc = services(db)
    result = guarded(lambda: svc.release_payment_file(name, who))
    svc.catch_up()
    emit(result)


@files_app.command("hold")
def payment_files_hold(name: str, reason: Annotated[str, typer.Option("--reason", help="Why it is held")],
                       db: DbOption = None, actor: ActorOption = None) -> None:
    """Keep a pending file from the bank, with the reason; release it later to send it unchanged."""
    who = _person(actor)
    svc = services(db)
    result = guarded(lambda: svc.hold_payment_file(name, who, reason))
    svc.catch_up()
    emit(result)


def _person(actor: str | None) -> str:
    """A review is a person's: the CLI's default actor names no one."""
    who = actor_of(actor)
    if who == Settings.model_fields["actor"].default:
        fail("--actor: wie geeft dit? Geef uw naam (--actor of HHB_ACTOR) / who is this? Give your name")
    return who


@app.command("scheduler")
def scheduler(db: DbOption = None, once: Annotated[bool, typer.Option(
        "--once", help="Catch up now and stop, instead of waiting for the next night")] = False) -> None:
    """Run the job every night (HHB_SCHEDULER_TIME, HHB_TIMEZONE); catches up at start."""
    from ..scheduler import run_scheduler

    from ..logs import LogConsole

    config = settings()
    console = err if config.log_format == "text" else LogConsole("huishoudboekje.scheduler")
    run_scheduler(lambda through: nightly(services(db), through), config, console, once=once)


def nightly(svc: Services, through: date) -> dict:
    """Pay, then send the notices due, then erase what is past the retention period
    (HHB_RETENTION_YEARS): a notice or an erasure that fails never touches a payment,
    which is recorded before either is looked at."""
    summary = run_reconcile(svc, through, show_progress=False).as_dict()
    try:  # the daily balance check: a difference is the team lead's signal, never the night's failure
        summary["balance_signals"] = svc.balance(signal_on=through)["signals_raised"]
    except Exception as exc:  # noqa: BLE001 - the payments stand; `hhb balance` checks again
        summary["balance_signals"] = f"not checked: {type(exc).__name__}: {exc}"
    try:
        summary["notices"] = svc.send_notices(through)
    except Exception as exc:  # noqa: BLE001 - the payments stand; `hhb notices send` tries again
        summary["notices"] = f"not sent: {type(exc).__name__}: {exc}"
    try:  # last: a household paid its final settlement tonight is not erased before it is paid
        erased = svc.retention(through)
        summary["retention"] = {"erased": [e["dossier"] for e in erased["erased"]],
                                "held_back": len(erased["refused"]), "failed": len(erased["failed"]),
                                "unmatched_lines_erased": erased["unmatched_lines_erased"],
                                "maatwerk_residents_erased": erased["maatwerk_residents_erased"]}
    except Exception as exc:  # noqa: BLE001 - the payments stand; the next night (or `hhb retention run`) tries again
        summary["retention"] = f"not run: {type(exc).__name__}: {exc}"
    return summary


# -- the demo (the README's first command) ----------------------------------------------


@app.command()
def demo(db: DbOption = None) -> None:
    """Run the main job end to end on the demo personas."""
    from ..demo import run_demo

    svc = services(db)
    guarded(lambda: run_demo(svc.engine, sorted((ROOT / "personas").glob("*.yaml")), svc.settings, out,
                             lambda day: run_reconcile(svc, day, today=day).as_dict(),
                             lambda day: demo_release(svc, day)))


def demo_release(svc: Services, day: date) -> list[dict]:
    """The demo's finance person reviews every pending file, then releases it."""
    from ..demo import DEMO_FINANCE

    reviews = []
    svc.catch_up()
    for listed in svc.payment_files(("pending",)):
        reviews.append(svc.payment_file(listed["name"]))
        svc.release_payment_file(listed["name"], DEMO_FINANCE, day)
    svc.catch_up()
    return reviews
