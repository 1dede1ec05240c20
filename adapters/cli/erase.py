"""`hhb erase`: a household's personal data erased (crypto-shredding, issue 24)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import ActorOption, DbOption, app, emit, fail, guarded, parse_day, services


@app.command("erase")
def erase(
    dossier: str,
    reason: Annotated[str, typer.Option("--reason", help="Why: the participant's request, the retention period, …")],
    confirmed_by: Annotated[Optional[str], typer.Option(
        "--confirmed-by", help="A second person (team lead or privacy officer) who confirms a team lead's "
                               "erasure, where HHB_ERASE_CONFIRMATION requires it")] = None,
    day: Annotated[Optional[str], typer.Option("--date", help="The day of the erasure (default: today)")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Erase a household's personal data for good: its key is destroyed, so names, IBANs,
    address and notes read [verwijderd] everywhere; amounts and dates stay. Only for a
    household that ended and holds no money; by the privacy officer, or a team lead with
    a second person's confirmation."""
    on = parse_day(day, "--date") if day is not None else None
    if not actor:
        fail("--actor: name your staff account (the privacy officer, or a team lead with --confirmed-by)")
    svc = services(db, create=False)
    done = guarded(lambda: svc.erase(dossier, reason, actor, confirmed_by, on))
    emit(done)
