"""The `hhb` command line.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (nothing was written),
3 not found.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from huishoudboekje.config import Settings
from huishoudboekje.domain.access import PARTICIPANT
from huishoudboekje.domain.money import parse_money
from huishoudboekje.engine import Engine
from huishoudboekje import households as household_service
from huishoudboekje.onboarding import json_schema

from .bootstrap import Services, bootstrap
from .documents import read_specs
from .errors import BAD_INPUT, REFUSED, UNEXPECTED, refusal
from .store import StoreError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Huishoudboekje: one pay date a month.")
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", envvar="HHB_DATABASE_URL", help="postgresql://… or sqlite:///FILE (default: ./var)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ActorOption = Annotated[Optional[str], typer.Option("--actor", envvar="HHB_ACTOR", help="Who gives the command")]

ROOT = Path(__file__).resolve().parents[1]


def settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError, worded for the environment
        fail(f"settings: {exc}")


def services(db: str | None) -> Services:
    try:
        return bootstrap(db, settings())
    except StoreError as exc:
        fail(str(exc))


def engine(db: str | None) -> Engine:
    return services(db).engine


def fail(message: str, code: int = BAD_INPUT) -> Any:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def guarded(action: Callable[[], Any]) -> Any:
    """Run a command; turn the errors a user can fix into a message and their exit code
    (`adapters/errors.py`: 2 bad input, 3 not found, 1 a job stopped part-way)."""
    try:
        return action()
    except REFUSED as exc:
        meaning = refusal(exc)
        fail(str(exc), meaning.exit_code if meaning else UNEXPECTED)


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def actor_of(actor: str | None) -> str:
    return actor or settings().actor


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # as the API's BusinessDate


def parse_day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: '{value}' is not a date (YYYY-MM-DD)")
    if not FIRST_DAY <= day <= LAST_DAY:
        fail(f"{name}: {value} is outside the years the engine works with ({FIRST_DAY} to {LAST_DAY})")
    return day


# -- households ----------------------------------------------------------------------


@app.command()
def onboard(
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON onboarding documents")],
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Onboard households (or apply edits to them) from documents; all or nothing."""
    specs = guarded(lambda: read_specs(files))
    svc = services(db)
    results = guarded(lambda: svc.onboard(specs, actor_of(actor)))
    svc.catch_up()
    for result in results:
        emit(result.as_dict())


@app.command("households")
def list_households(team: Annotated[Optional[str], typer.Option("--team")] = None,
                    db: DbOption = None, as_json: JsonOption = False) -> None:
    """List households (as GET /households: from the read model, brought up to date first)."""
    svc = services(db)
    svc.catch_up()
    rows = svc.households(team)
    if as_json:
        emit(rows)
        return
    table = Table("dossier", "team", "status", "account", "buffer owed", "arrears")
    for r in rows:
        table.add_row(r["dossier"], r["team"], r["status"], r["account"] or "", r["buffer_outstanding"],
                      f"{r['arrears_count']} ({r['arrears_amount']})")
    out.print(table)


@app.command("show")
def show(dossier: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """One household: settings, participants, agreements, money owed."""
    svc = services(db)
    detail = guarded(lambda: svc.household_detail(svc.household(dossier)))
    if as_json:
        emit(detail)
        return
    out.print_json(json.dumps(detail))


@app.command()
def history(
    dossier: str,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Show the household as it stood on this date")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The event timeline of a household, and how it stood on a date."""
    day = parse_day(as_of, "--as-of") if as_of is not None else None
    svc = services(db)
    result = guarded(lambda: svc.history(dossier, day))
    if as_json:
        emit(result)
        return
    table = Table("#", "event", "business date", "actor", "details")
    for e in result["events"]:
        table.add_row(str(e["version"]), e["event"], e["business_date"] or "", e["actor"] or "", e["details"])
    out.print(table)
    if result["as_of"]:
        out.print_json(json.dumps(result["as_of"], default=str))


@app.command()
def schema() -> None:
    """Print the JSON Schema of onboarding documents."""
    emit(json_schema())


@app.command("change-amount")
def change_amount(
    dossier: str, agreement: str, amount: str,
    effective: Annotated[str, typer.Option("--from", help="Date the new amount takes effect")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Change an agreement's amount from a date on (e.g. the rent rise on 1 July)."""
    money = guarded(lambda: parse_money(amount))
    day = parse_day(effective, "--from")
    svc = services(db)
    store = svc.engine
    guarded(lambda: household_service.change_amount(store, dossier, agreement, money, day, actor_of(actor)))
    svc.catch_up()
    emit({"dossier": dossier, "agreement": agreement, "amount": str(money), "from": day.isoformat()})


@app.command("end-agreement")
def end_agreement(
    dossier: str, agreement: str,
    end: Annotated[str, typer.Option("--on", help="Last date the agreement applies")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """End an agreement on a date."""
    day = parse_day(end, "--on")
    svc = services(db)
    store = svc.engine
    guarded(lambda: household_service.end_agreement(store, dossier, agreement, day, actor_of(actor)))
    svc.catch_up()
    emit({"dossier": dossier, "agreement": agreement, "end": day.isoformat()})


@app.command("pay-day")
def pay_day(
    dossier: str, day: str,
    effective: Annotated[str, typer.Option("--from", help="Date the new pay day takes effect")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Change the household's pay day (1–28 or last-business-day) from a date on."""
    value: int | str = int(day) if day.isdigit() else day
    start = parse_day(effective, "--from")
    svc = services(db)
    store = svc.engine
    outcome = guarded(lambda: household_service.change_pay_day(store, dossier, value, start, actor_of(actor)))
    svc.catch_up()
    emit({"dossier": dossier, "pay_day": value, "from": start.isoformat(), **outcome})
    if outcome["paid_late"]:
        sys.stderr.write(f"let op / note: {len(outcome['paid_late'])} charge(s) fall due before the next pay date "
                         f"{outcome['next_pay_date']} and are paid late, on that date (paid_late)\n")


@app.command("end-participation")
def end_participation(
    dossier: str,
    end: Annotated[str, typer.Option("--on", help="Last day of participation")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """End a household's participation; all its agreements end that day, and the next
    business day the final settlement pays out what the household still holds."""
    day = parse_day(end, "--on")
    svc = services(db)
    store = svc.engine
    outcome = guarded(lambda: household_service.end_participation(store, dossier, day, actor_of(actor)))
    svc.catch_up()
    emit({"dossier": dossier, "end": day.isoformat(), **outcome})


@app.command("release")
def release(dossier: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Release leefgeld held above the participant ceiling: two different people (--actor)
    must each run this; the next pay date then pays it."""
    svc = services(db)
    store = svc.engine
    outcome = guarded(lambda: household_service.release_held(store, dossier, date.today(), actor_of(actor)))
    svc.catch_up()
    emit(outcome)
    if outcome["status"] == "approved":
        sys.stderr.write(f"let op / note: approved by {outcome['approved_by']}; a second person must run "
                         f"`hhb release {dossier} --actor NAME` to release it\n")


# -- bank statements -------------------------------------------------------------------


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

    from .statements import parse_statement_files

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
    rows = services(db).unmatched()
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
    undo: Annotated[bool, typer.Option("--undo", help="Undo an earlier booking or ignore")] = False,
    as_return: Annotated[bool, typer.Option("--as-return",
        help="Accept a queued credit with our end-to-end id as the return of that payment")] = False,
    reason: Annotated[str, typer.Option("--reason")] = "",
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Book a transaction from the queue onto an income agreement, ignore it, undo, or
    accept a queued credit as the return of one of our payments (--as-return)."""
    from huishoudboekje import statements as service

    svc = services(db)
    store = svc.engine
    who = actor_of(actor)
    if undo:
        recorded = guarded(lambda: service.undo(store, transaction, who, reason or "undone by staff"))
    elif as_return:
        recorded = guarded(lambda: service.accept_return(store, transaction, who))
    elif ignore:
        recorded = guarded(lambda: service.ignore(store, transaction, who, reason or "not ours"))
    elif dossier and agreement:
        recorded = guarded(lambda: service.book(store, transaction, dossier, agreement, who))
    else:
        fail("book: give DOSSIER and AGREEMENT, or --ignore, or --undo")
    svc.catch_up()
    emit(service.to_dict(recorded))


# -- the pay date ------------------------------------------------------------------------


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
    from .scheduler import run_scheduler

    run_scheduler(lambda through: run_reconcile(services(db), through, show_progress=False).as_dict(),
                  settings(), err)


# -- what's left, signals, overviews, reports -----------------------------------------------

signals_app = typer.Typer(help="Early signals: list, acknowledge, resolve, import creditors' reports.",
                          invoke_without_command=True)
projections_app = typer.Typer(help="Read models: status, catch up, rebuild.", no_args_is_help=True)
app.add_typer(signals_app, name="signals")
app.add_typer(projections_app, name="projections")


@app.command()
def left(
    dossier: str,
    day: Annotated[Optional[str], typer.Option("--date", help="As of this date (default: today)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """What's left this month for a household, with the forecast for the next pay date."""
    as_of = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db)
    result = guarded(lambda: svc.left(svc.household(dossier), as_of))
    if as_json:
        emit(result)
        return
    out.print_json(json.dumps(result))


@signals_app.callback()
def signals_list(
    ctx: typer.Context,
    dossier: Annotated[Optional[str], typer.Option("--dossier")] = None,
    team: Annotated[Optional[str], typer.Option("--team")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="open, acknowledged or resolved")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """List signals, most urgent first."""
    if ctx.invoked_subcommand is not None:
        return
    svc = services(db)
    rows = svc.signals(dossier, team, status)
    if as_json:
        emit(rows)
        return
    table = Table("id", "severity", "status", "rule", "amount", "raised", "details")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["status"], r["rule"], r["amount"], r["raised_on"],
                      ", ".join(f"{k}={v}" for k, v in r["details"].items())[:60])
    out.print(table)
    lag = svc.projections.status().lag
    if lag:
        out.print(f"[yellow]the signals view is {lag} events behind[/]")


def _follow_up(change: Callable, status: str, signal_id: str, note: str, db: str | None, actor: str | None) -> None:
    svc = services(db)
    store = svc.engine
    guarded(lambda: change(store, signal_id, date.today(), actor_of(actor), note))
    svc.catch_up()
    emit({"signal": signal_id, "status": status})


@signals_app.command("ack")
def signals_ack(signal_id: str, note: Annotated[str, typer.Option("--note")] = "",
                db: DbOption = None, actor: ActorOption = None) -> None:
    """Acknowledge a signal: someone is on it."""
    from huishoudboekje.followup import acknowledge

    _follow_up(acknowledge, "acknowledged", signal_id, note, db, actor)


@signals_app.command("resolve")
def signals_resolve(signal_id: str, note: Annotated[str, typer.Option("--note")] = "",
                    db: DbOption = None, actor: ActorOption = None) -> None:
    """Resolve a signal."""
    from huishoudboekje.followup import resolve

    _follow_up(resolve, "resolved", signal_id, note, db, actor)


@signals_app.command("import")
def signals_import(file: Path, db: DbOption = None, actor: ActorOption = None) -> None:
    """Import creditors' reports of arrears (vroegsignalering JSON); all or nothing."""
    from huishoudboekje.followup import import_creditor_signals

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{file}: not a JSON file ({exc})")
    svc = services(db)
    store = svc.engine
    result = guarded(lambda: import_creditor_signals(store, data, str(file), actor_of(actor)))
    svc.catch_up()
    emit(result)


@projections_app.command("status")
def projections_status(db: DbOption = None) -> None:
    """How far the read models are behind the events."""
    emit(services(db).projections.status().as_dict())


@projections_app.command("run")
def projections_run(db: DbOption = None,
                    follow: Annotated[bool, typer.Option("--follow", help="Keep polling for new events")] = False,
                    batch: Annotated[int, typer.Option("--batch")] = 500) -> None:
    """Catch the read models up with the events (poll the notification log)."""
    import time

    views = services(db).projections
    while True:
        processed = views.catch_up(batch, _projection_progress)
        if not follow:
            emit({"processed": processed, **views.status().as_dict()})
            return
        time.sleep(1.0 if not processed else 0)


@projections_app.command("rebuild")
def projections_rebuild(db: DbOption = None, batch: Annotated[int, typer.Option("--batch")] = 500) -> None:
    """Drop every read model and build it again from the first event."""
    views = services(db).projections
    processed = views.rebuild(batch, _projection_progress)
    emit({"processed": processed, **views.status().as_dict()})


def _projection_progress(position: int, newest: int) -> None:
    if err.is_terminal:  # a bar that redraws in place
        err.print(f"projections: {position}/{newest} events ({position * 100 // max(newest, 1)} %)",
                  end="\r", highlight=False)
        return
    sys.stderr.write(f"projections: {position}/{newest} events\n")  # plain lines for logs
    sys.stderr.flush()


@app.command()
def overview(
    dossier: str,
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    fmt: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    db: DbOption = None,
) -> None:
    """A printable monthly overview in plain Dutch for the participant."""
    from huishoudboekje.followup import monthly_overview

    from .overview import render_html, render_pdf

    store = engine(db)
    data = guarded(lambda: monthly_overview(store, dossier, month))
    html = render_html(data)
    if fmt == "html":
        if output:
            output.write_text(html, encoding="utf-8")
            emit({"file": str(output)})
        else:
            sys.stdout.write(html)
    elif fmt == "pdf":
        target = output or Path(f"overzicht-{dossier}-{month}.pdf")
        guarded(lambda: render_pdf(html, target))
        emit({"file": str(target)})
    else:
        fail("--format: html or pdf")


@app.command()
def report(
    team: Annotated[Optional[str], typer.Option("--team")] = None,
    month: Annotated[Optional[str], typer.Option("--month", help="Signals raised in this month (YYYY-MM)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Team report: households, open signals by rule, buffer exposure, arrears, shortfalls ahead."""
    result = services(db).report(team, month)
    if as_json:
        emit(result)
        return
    out.print_json(json.dumps(result))


# -- teams ------------------------------------------------------------------------------------

teams_app = typer.Typer(help="The team register: the teams households and staff belong to.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")
PhoneOption = Annotated[Optional[str], typer.Option("--phone", help="How participants call the team")]
EmailOption = Annotated[Optional[str], typer.Option("--email", help="The team's e-mail address")]
HoursOption = Annotated[Optional[str], typer.Option("--hours", help="When the team can be reached, e.g. 'ma-vr 9-17'")]


@teams_app.command("add")
def teams_add(name: str, phone: PhoneOption = None, email: EmailOption = None, hours: HoursOption = None,
              db: DbOption = None, actor: ActorOption = None) -> None:
    """Register a team; onboarding documents and staff tokens must name a registered team."""
    from huishoudboekje import teams

    emit(guarded(lambda: teams.add(engine(db), name, actor_of(actor), phone=phone, email=email, hours=hours)))


@teams_app.command("update")
def teams_update(name: str, phone: PhoneOption = None, email: EmailOption = None, hours: HoursOption = None,
                 db: DbOption = None, actor: ActorOption = None) -> None:
    """Change a team's phone, e-mail or hours (what is not given stays)."""
    from huishoudboekje import teams

    emit(guarded(lambda: teams.update(engine(db), name, actor_of(actor), phone=phone, email=email, hours=hours)))


@teams_app.command("list")
def teams_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the registered teams."""
    rows = services(db).teams()
    if as_json:
        emit(rows)
        return
    table = Table("team", "phone", "e-mail", "hours")
    for r in rows:
        table.add_row(r["name"], r["phone"] or "", r["email"] or "", r["hours"] or "")
    out.print(table)


# -- access -----------------------------------------------------------------------------------

tokens_app = typer.Typer(help="Staff tokens and participants' personal links.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("issue")
def tokens_issue(
    role: Annotated[str, typer.Option("--role", help="staff, teamlead, auditor or job")],
    name: Annotated[str, typer.Option("--name", help="Whose token (recorded as the actor)")],
    team: Annotated[Optional[str], typer.Option("--team")] = None,
    days: Annotated[Optional[int], typer.Option(
        "--days", help="Valid for this many days, 1 to HHB_MAX_CREDENTIAL_DAYS (default: that maximum, 365)")] = None,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="Job tokens only: never expires")] = False,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Issue a staff token; the secret is shown once and stored only as a hash."""
    from huishoudboekje import access

    if role == PARTICIPANT:
        fail("--role: participants get a personal link: hhb tokens link DOSSIER")
    config = settings()
    guarded(lambda: access.lifetime(role, days, no_expiry, config.max_credential_days))  # before opening the store
    secret, credential = guarded(lambda: access.issue(engine(db), role, name, actor_of(actor), team=team,
                                                      valid_days=days, no_expiry=no_expiry,
                                                      max_days=config.max_credential_days))
    if no_expiry:
        err.print("[yellow]warning:[/] this token never expires; revoke it (hhb tokens revoke "
                  f"{credential.short_id}) when the job no longer needs it", highlight=False)
    emit({"token": secret, "id": credential.short_id, "role": role, "team": team,
          "expires": credential.expires.isoformat() if credential.expires else None})


@tokens_app.command("link")
def tokens_link(
    dossier: str,
    days: Annotated[int, typer.Option("--days", help="Valid for this many days, 1 to HHB_MAX_CREDENTIAL_DAYS")] = 90,
    base_url: Annotated[str, typer.Option("--base-url", envvar="HHB_PUBLIC_URL")] = "http://127.0.0.1:8000",
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Create a participant's personal link to their own page (revocable, expires)."""
    from huishoudboekje import access

    config = settings()
    guarded(lambda: access.lifetime(PARTICIPANT, days, False, config.max_credential_days))
    store = engine(db)
    name = guarded(lambda: store.household(dossier)).participants[0].name
    secret, credential = guarded(lambda: access.issue(store, PARTICIPANT, name, actor_of(actor),
                                                      dossier=dossier, valid_days=days,
                                                      max_days=config.max_credential_days))
    emit({"link": f"{base_url.rstrip('/')}/p/{secret}", "id": credential.short_id, "dossier": dossier,
          "expires": credential.expires.isoformat() if credential.expires else None})


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Revoke a token or link by its id."""
    from huishoudboekje import access

    credential = guarded(lambda: access.revoke(engine(db), token_id, actor_of(actor)))
    emit({"id": credential.short_id, "revoked": credential.revoked.isoformat()})


@tokens_app.command("list")
def tokens_list(db: DbOption = None) -> None:
    """List tokens and links (never their secrets)."""
    from huishoudboekje import access

    emit([{"id": c.short_id, "role": c.role, "name": c.name, "team": c.team, "dossier": c.dossier,
           "issued": c.issued.isoformat(), "expires": c.expires.isoformat() if c.expires else None,
           "revoked": c.revoked.isoformat() if c.revoked else None} for c in access.credentials(engine(db))])


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Default: HHB_HOST or 127.0.0.1")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Default: HHB_PORT or 8000")] = None,
    db: DbOption = None,
) -> None:
    """Serve the staff API (/api/v1, OpenAPI at /openapi.json) and the participants' page (/p/…)."""
    import uvicorn

    from .api.app import create_app

    config = settings()
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1,
    # and a client there could claim any address; the app decides (HHB_TRUSTED_PROXIES).
    uvicorn.run(create_app(db, config), host=host or config.host, port=port or config.port,
                log_level="warning", proxy_headers=False)


# -- the demo (the README's first command) ----------------------------------------------


@app.command()
def demo(db: DbOption = None) -> None:
    """Run the main job end to end on the demo personas."""
    from .demo import run_demo

    svc = services(db)
    guarded(lambda: run_demo(svc.engine, sorted((ROOT / "personas").glob("*.yaml")), svc.settings, out,
                             lambda day: run_reconcile(svc, day, today=day).as_dict()))


if __name__ == "__main__":  # pragma: no cover
    app()
