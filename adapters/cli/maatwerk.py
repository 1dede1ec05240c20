"""`hhb users` (staff accounts) and `hhb maatwerk` (a team's one-off payments decided by three)."""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje.domain.money import Money, MoneyError

from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, fail, guarded, out, parse_day, services

# -- staff accounts ---------------------------------------------------------------------------

users_app = typer.Typer(help="Staff accounts: name, e-mail, role, team and discipline.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option("--name", help="The person's name; what --actor names")],
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help="staff, teamlead, auditor, finance, privacy or job")],
    team: Annotated[Optional[str], typer.Option("--team", help="A registered team (staff and teamlead)")] = None,
    discipline: Annotated[Optional[str], typer.Option(
        "--discipline", help="zorg, schuldhulp or inkomen: which maatwerk approval they give")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Add a staff account (then `hhb users password EMAIL` for signing in to /medewerker/)."""
    from huishoudboekje import users

    emit(guarded(lambda: users.add(services(db).engine, name=name, email=email, role=role, team=team,
                                   discipline=discipline, actor=actor_of(actor))))


@users_app.command("list")
def users_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The staff accounts."""
    rows = services(db, create=False).users()
    if as_json:
        emit(rows)
        return
    table = Table("name", "e-mail", "role", "team", "discipline", "active")
    for r in rows:
        table.add_row(r["name"], r["email"], r["role"], r["team"] or "", r["discipline"] or "",
                      "ja" if r["active"] else "nee (uitgeschakeld)")
    out.print(table)


@users_app.command("disable")
def users_disable(name: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Disable an account: it can no longer act (its history stays)."""
    from huishoudboekje import users

    emit(guarded(lambda: users.disable(services(db).engine, name, actor_of(actor))))


@users_app.command("password")
def users_password(
    email: str,
    password_file: Annotated[Optional[Path], typer.Option(
        "--password-file", help="Read the password from this file (default: standard input)")] = None,
    new_totp: Annotated[bool, typer.Option("--new-totp", help="Enrol a new TOTP secret (a lost phone)")] = False,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Set the password of the account with this e-mail for the staff web app (/medewerker/).
    The first time (or with --new-totp) it prints the TOTP provisioning URI once: put it
    in the person's authenticator app (as a QR code), it is not shown again."""
    from huishoudboekje import users

    try:
        text = password_file.read_text(encoding="utf-8") if password_file else sys.stdin.read()
    except OSError as exc:
        fail(f"--password-file: cannot read {password_file}: {exc.strerror}")
    password = text.rstrip("\r\n")
    emit(guarded(lambda: users.set_password(services(db).engine, email, password, actor_of(actor),
                                            new_totp=new_totp)))


# -- maatwerk ---------------------------------------------------------------------------------

maatwerk_app = typer.Typer(help="Maatwerk: a team's fast one-off payment, decided by three professionals.",
                           no_args_is_help=True)
app.add_typer(maatwerk_app, name="maatwerk")
DateOption = Annotated[Optional[str], typer.Option("--date", help="The business date (default today)")]
CRASH_HOOK = "HHB_TEST_CRASH_AT"  # tests only: kill the process at a named moment


def _crash(moment: str) -> None:
    if os.environ.get(CRASH_HOOK) == moment:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def _at(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at: '{value}' is not a date and time such as 2026-12-01T10:30")
    return at.replace(tzinfo=None)


@maatwerk_app.command("propose")
def maatwerk_propose(file: Path, db: DbOption = None, actor: ActorOption = None, day: DateOption = None) -> None:
    """Propose a case from a YAML/JSON document; prints {"case": ..., "status": "proposed"}."""
    from ..documents import load_document

    svc = services(db)
    document = guarded(lambda: load_document(file))
    on = parse_day(day, "--date") if day else None
    emit(guarded(lambda: svc.maatwerk_propose(document, actor_of(actor), on)))


@maatwerk_app.command("approve")
def maatwerk_approve(
    case: str, db: DbOption = None, actor: ActorOption = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why, when it takes the team over budget")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="When (local time, default now): decides the "
                                              "execution date against HHB_MAATWERK_CUTOFF")] = None,
) -> None:
    """Approve as the discipline of your staff account; the third approval pays at once."""
    svc = services(db)
    answer = guarded(lambda: svc.maatwerk_approve(case, actor_of(actor), _at(at), reason,
                                                  after_save=lambda: _crash("maatwerk-paid")))
    svc.catch_up()  # the team lead's signal of an overrun is in hhb signals at once
    emit(answer)


@maatwerk_app.command("withdraw")
def maatwerk_withdraw(case: str, reason: Annotated[str, typer.Option("--reason")], db: DbOption = None,
                      actor: ActorOption = None, day: DateOption = None) -> None:
    """Withdraw a proposed case."""
    from huishoudboekje import maatwerk

    svc = services(db)
    on = parse_day(day, "--date") if day else svc.local_now().date()
    emit(guarded(lambda: maatwerk.withdraw(svc.engine, case, actor_of(actor), reason, on)))


@maatwerk_app.command("follow-up")
def maatwerk_follow_up(
    case: str, outcome: Annotated[str, typer.Option("--outcome", help="better, same or worse")],
    note: Annotated[str, typer.Option("--note", help="How the household is doing")] = "",
    db: DbOption = None, actor: ActorOption = None, day: DateOption = None,
) -> None:
    """Record how the household is doing six months after the payment."""
    from huishoudboekje import maatwerk

    svc = services(db)
    on = parse_day(day, "--date") if day else svc.local_now().date()
    emit(guarded(lambda: maatwerk.follow_up(svc.engine, case, actor_of(actor), outcome, note, on)))


@maatwerk_app.command("budget")
def maatwerk_budget(team: str, year: Annotated[int, typer.Option("--year")],
                    amount: Annotated[str, typer.Option("--amount", help="e.g. 15000.00")],
                    db: DbOption = None, actor: ActorOption = None) -> None:
    """Set a team's maatwerk budget for a year (default HHB_MAATWERK_BUDGET, 15000.00)."""
    from huishoudboekje import maatwerk

    try:
        money = Money(amount)
    except (MoneyError, ValueError) as exc:
        fail(f"--amount: {exc}")
    emit(guarded(lambda: maatwerk.set_budget(services(db).engine, team, year, money, actor_of(actor))))


@maatwerk_app.command("list")
def maatwerk_list(
    team: Annotated[Optional[str], typer.Option("--team")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="proposed, paid, withdrawn or follow-up-due")] = None,
    year: Annotated[Optional[int], typer.Option("--year")] = None,
    db: DbOption = None, as_json: JsonOption = False, day: DateOption = None,
) -> None:
    """The cases, with their status as of today (follow-up-due: paid six months ago, not followed up)."""
    svc = services(db, create=False)
    rows = svc.maatwerk_cases(team, status, year, parse_day(day, "--date") if day else None)
    if as_json:
        emit(rows)
        return
    table = Table("case", "team", "status", "dossier / bewoner", "creditor", "amount", "category", "approvals",
                  "follow-up due")
    for r in rows:
        table.add_row(r["case"], r["team"], r["status"], r["dossier"] or r["resident"] or "", r["creditor"],
                      r["amount"], r["category"], f"{r['approvals']}/3", r["follow_up_due"] or "")
    out.print(table)


@maatwerk_app.command("show")
def maatwerk_show(case: str, db: DbOption = None, as_json: JsonOption = False, day: DateOption = None) -> None:
    """One case: the proposal, its approvals, payment, budget overrun and follow-up."""
    svc = services(db, create=False)
    emit(guarded(lambda: svc.maatwerk_case(case, parse_day(day, "--date") if day else None)))


@maatwerk_app.command("report")
def maatwerk_report(
    team: Annotated[Optional[str], typer.Option("--team")] = None,
    year: Annotated[Optional[int], typer.Option("--year")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    db: DbOption = None, as_json: JsonOption = False, day: DateOption = None,
) -> None:
    """Spend per team and month, per category, avoided costs, the ratio, the outcomes."""
    svc = services(db, create=False)
    today = parse_day(day, "--date") if day else None
    if fmt == "csv":
        from huishoudboekje import maatwerk_report as report

        year = year or (today or svc.local_now().date()).year
        sys.stdout.write(report.as_csv(svc.engine, year, team))
        return
    if fmt != "json":
        fail(f"--format: '{fmt}' is not json or csv")
    emit(guarded(lambda: svc.maatwerk_report(year, team, today)))
