"""`hhb` commands for what's left, signals, read models, overviews and reports."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje.domain.signals import ACKNOWLEDGED, RESOLVED

from .common import (ActorOption, DbOption, JsonOption, actor_of, app, emit, err, fail, guarded, out,
                     parse_day, services)


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
    db: DbOption = None, as_json: JsonOption = False, actor: ActorOption = None,
) -> None:
    """What's left this month for a household, with the forecast for the next pay date."""
    as_of = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db, create=False)
    result = guarded(lambda: svc.left(svc.household(dossier), as_of))
    svc.read_by(actor, [dossier], "hhb left")
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
    lang: Annotated[str, typer.Option("--lang", help="nl (default) or en: the language of what each signal says")]
    = "nl",
    db: DbOption = None, as_json: JsonOption = False, actor: ActorOption = None,
) -> None:
    """List signals, most urgent first, each with what it is about (in Dutch, or --lang en)."""
    if ctx.invoked_subcommand is not None:
        return
    svc = services(db, create=False)
    rows = svc.signals(dossier, team, status)
    svc.read_by(actor, [dossier] if dossier else (r["dossier"] for r in rows if r.get("dossier")), "hhb signals")
    if as_json:
        emit(rows)
        return
    table = Table("id", "severity", "status", "signaal" if lang == "nl" else "signal", "amount", "raised", "details")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["status"], r["text"].get(lang, r["rule"]), r["amount"], r["raised_on"],
                      ", ".join(f"{k}={v}" for k, v in r["details"].items())[:60])
    out.print(table)
    held = svc.held_back(team)
    if held:
        out.print(f"[yellow]{len(held)} signalen achtergehouden door het maximum per team per maand "
                  f"(HHB_SIGNAL_CAP); zie hhb report / {len(held)} held back by the cap[/]")
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

    _follow_up(acknowledge, ACKNOWLEDGED, signal_id, note, db, actor)


@signals_app.command("resolve")
def signals_resolve(signal_id: str, note: Annotated[str, typer.Option("--note")] = "",
                    db: DbOption = None, actor: ActorOption = None) -> None:
    """Resolve a signal."""
    from huishoudboekje.followup import resolve

    _follow_up(resolve, RESOLVED, signal_id, note, db, actor)


@signals_app.command("import")
def signals_import(file: Path, db: DbOption = None, actor: ActorOption = None) -> None:
    """Import creditors' reports of arrears (vroegsignalering JSON); all or nothing. A
    report is matched to its household by dossier, participant IBAN, customer number or
    postcode + house number with the name; what matches none waits in `signals queue`."""
    from huishoudboekje.creditor_reports import import_reports

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{file}: not a JSON file ({exc})")
    svc = services(db)
    svc.catch_up()  # the read model's keys find the households
    result = guarded(lambda: import_reports(svc.engine, svc.projections, data, str(file), actor_of(actor),
                                            svc.settings.partner_types))
    svc.catch_up()
    emit(result)
    if result["queued"]:
        sys.stderr.write(f"let op / note: {result['queued']} melding(en) zonder huishouden wachten in "
                         "`hhb signals queue` / report(s) without a household wait in `hhb signals queue`\n")


@signals_app.command("queue")
def signals_queue(all_: Annotated[bool, typer.Option("--all", help="Also reports assigned since")] = False,
                  db: DbOption = None, as_json: JsonOption = False) -> None:
    """Creditors' reports no household was found for: they wait here until assigned."""
    from huishoudboekje.creditor_reports import waiting_reports

    rows = waiting_reports(services(db).engine, None if all_ else "waiting")
    if as_json:
        emit(rows)
        return
    table = Table("report", "partner", "amount", "since", "eviction", "name", "postcode", "why")
    for r in rows:
        table.add_row(r["report"], r["partner"], r["amount"], r["arrears_since"], r["eviction_date"] or "",
                      r["name"] or "", f"{r['postcode'] or ''} {r['number'] or ''}".strip(), r["why"])
    out.print(table)


@signals_app.command("rematch")
def signals_rematch(db: DbOption = None, actor: ActorOption = None) -> None:
    """Match the waiting reports again, e.g. after onboarding a household from the queue
    with the address, IBAN or customer number a report names."""
    from huishoudboekje.creditor_reports import rematch

    svc = services(db)
    svc.catch_up()
    result = guarded(lambda: rematch(svc.engine, svc.projections, actor_of(actor)))
    svc.catch_up()
    emit(result)


@signals_app.command("assign")
def signals_assign(report: str, dossier: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Put a queued creditor's report on a household (onboard it first if nobody manages it yet)."""
    from huishoudboekje.creditor_reports import assign

    svc = services(db)
    result = guarded(lambda: assign(svc.engine, report, dossier, actor_of(actor)))
    svc.catch_up()
    emit(result)


@projections_app.command("status")
def projections_status(db: DbOption = None) -> None:
    """How far the read models are behind the events, and the runner's last heartbeat."""
    from huishoudboekje.projections.runner import runner_status

    svc = services(db, create=False)
    emit({**svc.projections.status().as_dict(),
          "runner": runner_status(svc.projections, svc.settings.projection_runner_timeout)})


@projections_app.command("run")
def projections_run(db: DbOption = None,
                    follow: Annotated[bool, typer.Option(
                        "--follow", help="Keep the read models current until stopped (SIGTERM, Ctrl-C): "
                                         "woken by the store's notifications on PostgreSQL, polling on SQLite; "
                                         "reconnects when the database goes away")] = False,
                    batch: Annotated[int, typer.Option("--batch")] = 500,
                    heartbeat: Annotated[float, typer.Option(
                        "--heartbeat", min=0.1, help="Seconds between heartbeats (hhb projections status)")] = 5.0,
                    ) -> None:
    """Catch the read models up with the events; with --follow, keep them current."""
    views = services(db, create=False).projections
    if not follow:
        processed = views.catch_up(batch, _projection_progress)
        emit({"processed": processed, **views.status().as_dict()})
        return
    import signal

    from huishoudboekje.projections.runner import Runner

    runner = Runner(views, heartbeat=heartbeat, batch=batch, log=lambda line: err.print(line, highlight=False))
    signal.signal(signal.SIGTERM, lambda *_: runner.stop.set())
    err.print(f"projections: following the events as {runner.name}", highlight=False)
    try:
        runner.run()
    except KeyboardInterrupt:
        pass


@projections_app.command("rebuild")
def projections_rebuild(db: DbOption = None, batch: Annotated[int, typer.Option("--batch")] = 500) -> None:
    """Drop every read model and build it again from the first event."""
    views = services(db, create=False).projections
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
    day: Annotated[Optional[str], typer.Option("--date", help="Made on this date (default: today): "
                                                              "payments after it are planned")] = None,
    lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """A printable monthly overview for the participant (plain Dutch, or English), A4 as PDF."""
    from huishoudboekje.reports import monthly_overview

    from ..overview import render_overview, render_pdf

    if lang not in ("nl", "en"):
        fail("--lang: nl or en")
    made_on = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db, create=False)
    data = guarded(lambda: monthly_overview(svc.engine, dossier, month, made_on, svc.projections.unreleased))
    svc.read_by(actor, [dossier], "hhb overview")
    html = render_overview(data, lang)
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
    """Team report: households, open signals by rule, buffer exposure, arrears, shortfalls ahead,
    endings by reason, the average time in the programme, signals held back by HHB_SIGNAL_CAP."""
    result = services(db, create=False).report(team, month)
    if as_json:
        emit(result)
        return
    out.print_json(json.dumps(result))
