"""`hhb` commands for privacy: a participant's consent, the access log, a participant's own data."""

from __future__ import annotations

import json
import sys
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from huishoudboekje import consent as consent_service
from huishoudboekje import users
from huishoudboekje.domain.consent import WAYS
from huishoudboekje.domain.roles import AUDITOR, PRIVACY
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.engine import Engine

from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, fail, guarded, out, parse_day, services


@app.command("consent")
def consent(
    dossier: str,
    day: Annotated[str, typer.Option("--date", help="The day the participant agreed (or withdrew)")],
    way: Annotated[Optional[str], typer.Option("--way", help=", ".join(WAYS))] = None,
    withdrawn: Annotated[bool, typer.Option("--withdrawn", help="The participant withdrew their consent: "
                                                                "participation ends that day")] = False,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Record the day and way a participant agreed to take part, or its withdrawal (which
    ends the participation, reason stopped-by-participant, as end-participation does)."""
    on = parse_day(day, "--date")
    if withdrawn == (way is not None):
        fail("give --way for a consent, or --withdrawn for its withdrawal (not both)")
    svc = services(db)
    if withdrawn:
        result = guarded(lambda: consent_service.withdraw(svc.engine, dossier, on, actor_of(actor)))
    else:
        result = guarded(lambda: consent_service.record(svc.engine, dossier, on, way or "", actor_of(actor)))
    svc.catch_up()
    emit(result)


@app.command("access-log")
def access_log(
    dossier: Annotated[Optional[str], typer.Option("--dossier", help="Reads of this household only")] = None,
    actor: Annotated[Optional[str], typer.Option("--actor", help="Reads by this person only, as logged "
                                                                 "('Anna'; 'staff:Anna' through the API)")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="From this day on (YYYY-MM-DD, UTC)")] = None,
    auditor: Annotated[Optional[str], typer.Option("--by", envvar="HHB_ACTOR",
                                                   help="Who reads the log: a staff account with the role "
                                                        "auditor")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Who read which household's data, when and through what; for the auditor (--by)."""
    start = datetime.combine(parse_day(since, "--since"), time(), timezone.utc) if since else None
    svc = services(db, create=False)
    _require_auditor(svc.engine, auditor)
    rows = [e.as_dict() for e in svc.access_log.entries(dossier, actor, start)]
    if as_json:
        emit(rows)
        return
    table = Table("when (UTC)", "who", "dossier", "what")
    for r in rows:
        table.add_row(r["at"], r["actor"], r["dossier"], r["action"])
    out.print(table)


def _require_auditor(engine: Engine, auditor: str | None) -> None:
    if not auditor:
        fail("--by: name your staff account (role auditor or privacy) to read the access log")
    try:
        account = users.acting(engine, auditor)
    except DomainError as exc:
        fail(str(exc).replace("actor:", "--by:", 1))
    if account.role not in (AUDITOR, PRIVACY):  # the privacy officer answers for erasures and access requests
        fail(f"--by: {account.name} is {account.role}; only an auditor or the privacy officer reads the access log")


@app.command("subject-access")
def subject_access(
    dossier: str,
    fmt: Annotated[str, typer.Option("--format", help="json (for computers) or pdf (plain Dutch)")] = "json",
    output: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file "
                                                                         "(default: stdout for json)")] = None,
    day: Annotated[Optional[str], typer.Option("--date", help="Made on this date (default: today)")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Everything the engine holds about a participant's household: the answer to their
    request for access (personal details, consent, agreements, payments, bank lines,
    signals, notes, debts, who read their data)."""
    from huishoudboekje.subject_access import subject_access as gather

    if fmt not in ("json", "pdf"):
        fail("--format: json or pdf")
    if output is not None and not output.parent.is_dir():  # before anything is read or logged
        fail(f"--out: there is no folder {output.parent}; make it first or name a file in an existing folder")
    made_on = parse_day(day, "--date") if day is not None else None
    svc = services(db, create=False)
    made_on = made_on or svc.local_now().date()  # the municipality's today, as the API's
    guarded(lambda: svc.engine.household(dossier))  # NotFound before anything is logged
    svc.read_by(actor_of(actor), [dossier], f"hhb subject-access --format {fmt}")
    entries = [e.as_dict() for e in svc.access_log.entries(dossier)]
    data = guarded(lambda: gather(svc.engine, dossier, made_on, entries))
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        if output is None:
            sys.stdout.write(text + "\n")
            return
        output.write_text(text + "\n", encoding="utf-8")
    else:
        from ..overview import render_pdf
        from ..subject_access import render_html

        output = output or Path(f"inzage-{dossier.replace('/', '-')}.pdf")
        html = render_html(data, ZoneInfo(svc.settings.timezone))
        guarded(lambda: render_pdf(html, output))
    emit({"file": str(output)})
