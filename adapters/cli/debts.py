"""`hhb debts`: a household's debts, recorded at intake or from a creditor's report, and the
engine's own arrears beside them (issue 23)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje import debts as debt_service

from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, guarded, out, parse_day, services

debts_app = typer.Typer(help="A household's debts (schulden): creditor, amount, since, kind.", no_args_is_help=True)
app.add_typer(debts_app, name="debts")

KindOption = Annotated[str, typer.Option("--kind", help="huur, energie, water, zorgverzekering, belasting, "
                                                        "toeslag-terugvordering or overig")]


@debts_app.command("add")
def debts_add(
    dossier: str,
    creditor: Annotated[str, typer.Option("--creditor", help="The creditor's name")],
    iban: Annotated[str, typer.Option("--iban", help="The creditor's IBAN")],
    amount: Annotated[str, typer.Option("--amount", help="What is owed, e.g. 1500.00")],
    since: Annotated[str, typer.Option("--since", help="Date the debt began")],
    kind: KindOption,
    reference: Annotated[Optional[str], typer.Option("--reference", help="The creditor's reference")] = None,
    source: Annotated[str, typer.Option("--source", help="intake or creditor-report")] = "intake",
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Record a debt of a household; prints its id (DOSSIER:S1)."""
    day = parse_day(since, "--since")
    svc = services(db)
    row = guarded(lambda: debt_service.add_debt(svc.engine, dossier, creditor=creditor, iban=iban, amount=amount,
                                                since=day, kind=kind, reference=reference, source=source,
                                                actor=actor_of(actor)))
    svc.catch_up()
    emit(row)


@debts_app.command("list")
def debts_list(dossier: Annotated[Optional[str], typer.Argument(help="One household (default: all)")] = None,
               team: Annotated[Optional[str], typer.Option("--team")] = None,
               day: Annotated[Optional[str], typer.Option("--date", help="Frozen by a moratorium on this date "
                                                                          "(default: today)")] = None,
               db: DbOption = None, as_json: JsonOption = False) -> None:
    """A household's debts (or every household's): recorded ones and the engine's own arrears."""
    as_of = parse_day(day, "--date") if day is not None else None
    svc = services(db, create=False)
    svc.catch_up()
    rows = guarded(lambda: svc.debts(dossier, team, as_of))
    if as_json:
        emit(rows)
        return
    table = Table("schuld", "schuldeiser", "soort", "bedrag", "nog open", "sinds", "kenmerk", "bron", "status")
    for r in rows:
        status = f"bevroren (moratorium tot {r['frozen_until']})" if r["frozen"] else \
            {"open": "open", "closed": "gesloten"}[r["status"]]
        table.add_row(r["debt"], r["creditor"], r["kind"], r["amount"], r["remaining"], r["since"],
                      r["reference"] or "", r["source"], status)
    out.print(table)
    if dossier is not None:
        _print_situation(guarded(lambda: debt_service.debt_situation(svc.household(dossier),
                                                                     as_of or date.today())))


def _print_situation(situation: dict) -> None:
    """Referrals, moratoria and self-paid charges under a household's debts (staff read Dutch)."""
    for r in situation["referrals"]:
        out.print(f"verwezen naar schuldhulpverlening: {r['organisation']} op {r['on']}", highlight=False)
    for m in situation["moratoria"]:
        out.print(f"moratorium {m['from']} tot en met {m['until']}: {m['reason']}", highlight=False)
    for p in situation["self_paid"]:
        out.print(f"betaalt zelf vanaf {p['from']}: {p['agreement']} ({p['creditor']}, {p['amount']})",
                  highlight=False)


@debts_app.command("update")
def debts_update(
    debt: str,
    creditor: Annotated[Optional[str], typer.Option("--creditor")] = None,
    iban: Annotated[Optional[str], typer.Option("--iban")] = None,
    amount: Annotated[Optional[str], typer.Option("--amount")] = None,
    since: Annotated[Optional[str], typer.Option("--since")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind")] = None,
    reference: Annotated[Optional[str], typer.Option("--reference")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Correct a debt's creditor, IBAN, amount, date, kind or reference."""
    changes = {"creditor": creditor, "iban": iban, "amount": amount, "kind": kind, "reference": reference,
               "since": parse_day(since, "--since") if since is not None else None}
    svc = services(db)
    row = guarded(lambda: debt_service.update_debt(svc.engine, debt, changes, actor_of(actor)))
    svc.catch_up()
    emit(row)


@debts_app.command("close")
def debts_close(
    debt: str,
    reason: Annotated[str, typer.Option("--reason", help="Why: paid, settled, remitted, …")],
    on: Annotated[Optional[str], typer.Option("--on", help="Date (default: today)")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Close a debt (paid, settled in debt counselling, remitted); its history stays."""
    day = parse_day(on, "--on") if on is not None else date.today()
    svc = services(db)
    row = guarded(lambda: debt_service.close_debt(svc.engine, debt, day, reason, actor_of(actor)))
    svc.catch_up()
    emit(row)


arrangements_app = typer.Typer(help="Payment arrangements (betalingsregelingen) on debts.", no_args_is_help=True)
app.add_typer(arrangements_app, name="arrangements")


@arrangements_app.command("add")
def arrangements_add(
    debt: Annotated[str, typer.Argument(help="The debt's id, DOSSIER:S1")],
    monthly: Annotated[str, typer.Option("--monthly", help="The amount of a term, e.g. 72.00")],
    start: Annotated[str, typer.Option("--from", help="The first pay date on or after this date pays a term")],
    terms: Annotated[Optional[int], typer.Option("--terms", help="The number of terms (default: until paid; "
                                                                 "1: a one-off payment)")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Agree an amount a month with a debt's creditor; each pay date pays a term, after the
    running charges, the minimum leefgeld and their arrears, from the pot only."""
    day = parse_day(start, "--from")
    svc = services(db)
    row = guarded(lambda: debt_service.add_arrangement(svc.engine, debt, monthly, day, terms, actor_of(actor)))
    svc.catch_up()
    emit(row)


@arrangements_app.command("list")
def arrangements_list(dossier: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """A household's arrangements: the term, terms paid and missed, what was paid."""
    svc = services(db, create=False)
    svc.catch_up()
    rows = guarded(lambda: svc.household(dossier).arrangement_rows())
    if as_json:
        emit(rows)
        return
    table = Table("regeling", "schuld", "per maand", "vanaf", "termijnen", "betaald", "gemist", "bedrag betaald",
                  "status")
    for r in rows:
        table.add_row(r["arrangement"], r["debt"], r["monthly"], r["from"], str(r["terms"] or "tot betaald"),
                      str(r["paid_terms"]), str(r["missed"]), r["paid"], r["status"])
    out.print(table)


@app.command("moratorium")
def moratorium(
    dossier: str,
    until: Annotated[str, typer.Option("--until", help="Its last day: at most six months after --from")],
    reason: Annotated[str, typer.Option("--reason", help="Why: the debt counselling that asked for it")],
    start: Annotated[Optional[str], typer.Option("--from", help="Its first day")] = None,
    extend: Annotated[bool, typer.Option("--extend", help="Extend the last moratorium to --until "
                                                          "(at most six months more), with a reason")] = False,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """A moratorium: pauses the household's payment arrangements and freezes its debts
    while debt counselling negotiates (the running charges are paid as always)."""
    first = parse_day(start, "--from") if start is not None else None
    last = parse_day(until, "--until")
    svc = services(db)
    row = guarded(lambda: debt_service.moratorium(svc.engine, dossier, first, last, reason, extend, actor_of(actor)))
    svc.catch_up()
    emit(row)


@app.command("referral")
def referral(
    dossier: str,
    on: Annotated[str, typer.Option("--date", help="The day of the referral")],
    organisation: Annotated[str, typer.Option("--organisation", help="The debt counselling organisation")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Record a referral to debt counselling (schuldhulpverlening): date and organisation.
    Shown with the household's debts (`hhb debts list DOSSIER`) and in `hhb show`."""
    day = parse_day(on, "--date")
    svc = services(db)
    row = guarded(lambda: debt_service.referral(svc.engine, dossier, day, organisation, actor_of(actor)))
    svc.catch_up()
    emit(row)


@app.command("phase-out")
def phase_out(
    dossier: str,
    agreements: Annotated[list[str], typer.Option("--agreement", help="A charge the participant pays from "
                                                                      "--from on (repeat for more)")],
    start: Annotated[str, typer.Option("--from", help="The first due date the participant pays")],
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Phase-out: from --from on the participant pays these charges themselves. The pay
    dates no longer pay them (their money goes out with the leefgeld); they stay shown and
    forecast as self-paid. End with `hhb end-participation`, whose final settlement pays
    out what is still held."""
    day = parse_day(start, "--from")
    svc = services(db)
    rows = guarded(lambda: debt_service.phase_out(svc.engine, dossier, agreements, day, actor_of(actor)))
    svc.catch_up()
    emit({"dossier": dossier, "self_paid": rows})
