"""`hhb` commands for households: onboarding, reading and changing them."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje import households as household_service
from huishoudboekje.agreement_changes import paid_after
from huishoudboekje.domain.money import parse_money
from huishoudboekje.onboarding import json_schema

from ..documents import read_specs
from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, guarded, out, parse_day, services


@app.command()
def onboard(
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON onboarding documents")],
    db: DbOption = None,
    actor: ActorOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing; print the events and the first "
                                                             "pay date's forecast")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Undo changes other commands recorded since, "
                                                             "on purpose (recorded)")] = False,
    day: Annotated[Optional[str], typer.Option("--date", help="--dry-run: forecast as of (default: today)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Onboard households (or apply edits to them) from documents; all or nothing."""
    specs = guarded(lambda: read_specs(files))
    svc = services(db)
    if dry_run:
        from ..dry_run import dry_run_text

        as_of = parse_day(day, "--date") if day is not None else date.today()
        reports = guarded(lambda: svc.preview(specs, actor_of(actor), as_of, replace))
        if as_json:
            emit(reports)
        else:
            out.print(dry_run_text(reports), markup=False, highlight=False)
        return
    results = guarded(lambda: svc.onboard(specs, actor_of(actor), replace))
    svc.catch_up()
    for result in results:
        for warning in result.warnings:
            sys.stderr.write(f"let op / note: {result.dossier} {warning['field']}: {warning['text']['nl']} / "
                             f"{warning['text']['en']}\n")
        emit(result.as_dict())


@app.command("households")
def list_households(team: Annotated[Optional[str], typer.Option("--team")] = None,
                    db: DbOption = None, as_json: JsonOption = False, actor: ActorOption = None) -> None:
    """List households (as GET /households: from the read model, brought up to date first)."""
    svc = services(db, create=False)
    svc.catch_up()
    rows = svc.households(team)
    svc.read_by(actor, (r["dossier"] for r in rows), "hhb households")
    if as_json:
        emit(rows)
        return
    table = Table("dossier", "team", "status", "account", "buffer owed", "arrears")
    for r in rows:
        table.add_row(r["dossier"], r["team"], r["status"], r["account"] or "", r["buffer_outstanding"],
                      f"{r['arrears_count']} ({r['arrears_amount']})")
    out.print(table)


@app.command("show")
def show(dossier: str, db: DbOption = None, as_json: JsonOption = False, actor: ActorOption = None) -> None:
    """One household: settings, participants, agreements, money owed, consent."""
    svc = services(db, create=False)
    detail = guarded(lambda: svc.household_detail(svc.household(dossier)))
    svc.read_by(actor, [dossier], "hhb show")
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
    actor: ActorOption = None,
) -> None:
    """The event timeline of a household, and how it stood on a date."""
    day = parse_day(as_of, "--as-of") if as_of is not None else None
    svc = services(db, create=False)
    result = guarded(lambda: svc.history(dossier, day))
    svc.read_by(actor, [dossier], "hhb history")
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
    # periods due after the end that were paid already: ending does not take them back
    emit({"dossier": dossier, "agreement": agreement, "end": day.isoformat(),
          "paid_after_end": paid_after(store.household(dossier), agreement, day)})


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
    reason: Annotated[Optional[str], typer.Option("--reason", help="stabilised, referred, moved, deceased, "
                                                                   "stopped-by-participant or other")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """End a household's participation; all its agreements end that day, and the next
    business day the final settlement pays out what the household still holds."""
    day = parse_day(end, "--on")
    svc = services(db)
    store = svc.engine
    outcome = guarded(lambda: household_service.end_participation(store, dossier, day, actor_of(actor), reason))
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


@app.command("address")
def address(
    dossier: str,
    postcode: Annotated[str, typer.Option("--postcode", help="e.g. 3511 AB")],
    number: Annotated[str, typer.Option("--number", help="House number with its addition, e.g. 12A")],
    street: Annotated[Optional[str], typer.Option("--street")] = None,
    place: Annotated[Optional[str], typer.Option("--place")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Set a household's address, which creditors' reports are matched by."""
    svc = services(db)
    result = guarded(lambda: household_service.set_address(svc.engine, dossier, postcode, number, street, place,
                                                           actor_of(actor)))
    svc.catch_up()
    emit(result)


@app.command("customer-number")
def customer_number(
    dossier: str, agreement: str,
    number: Annotated[str, typer.Argument(help="The creditor's customer number; empty to remove it")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Set the creditor's customer number on a charge, which creditors' reports name."""
    svc = services(db)
    result = guarded(lambda: household_service.set_customer_number(svc.engine, dossier, agreement, number,
                                                                   actor_of(actor)))
    svc.catch_up()
    emit(result)
