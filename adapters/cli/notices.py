"""`hhb notices`: the participant's choice of notices, and sending the ones due."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Optional

import typer

from huishoudboekje.domain.notices import EMAIL, OFF, SMS

from .common import ActorOption, DbOption, JsonOption, actor_of, app, emit, fail, guarded, out, parse_day, services

notices_app = typer.Typer(help="Notices to participants who chose them (e-mail or text message).",
                          no_args_is_help=True)
app.add_typer(notices_app, name="notices")


@notices_app.command("set")
def notices_set(
    dossier: str,
    email: Annotated[Optional[str], typer.Option("--email", help="Notices by e-mail to this address")] = None,
    sms: Annotated[Optional[str], typer.Option("--sms", help="Notices by text message to this number")] = None,
    off: Annotated[bool, typer.Option("--off", help="No notices (the default)")] = False,
    lang: Annotated[str, typer.Option("--lang", help="nl or en: the language of the messages")] = "nl",
    day: Annotated[Optional[str], typer.Option("--date", help="The day of the choice (default: today)")] = None,
    db: DbOption = None, actor: ActorOption = None,
) -> None:
    """Record the participant's own choice (consent): --email ADDRESS, --sms NUMBER or --off."""
    from huishoudboekje import notices

    given = [(channel, value) for channel, value in ((EMAIL, email), (SMS, sms), (OFF, off)) if value]
    if len(given) != 1:
        fail("give one of --email ADDRESS, --sms NUMBER or --off")
    channel, value = given[0]
    on = parse_day(day, "--date") if day is not None else date.today()
    svc = services(db)
    emit(guarded(lambda: notices.choose(svc.engine, dossier, channel, None if channel == OFF else value, lang, on,
                                        actor_of(actor))))


@notices_app.command("show")
def notices_show(dossier: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The household's choice of notices and how many were sent (as GET /households/{dossier}/notices)."""
    from huishoudboekje import notices

    shown = guarded(lambda: notices.show(services(db, create=False).engine, dossier))
    if as_json:
        emit(shown)
        return
    for key, value in shown.items():
        out.print(f"{key:>9}: {value if value is not None else '-'}")


@notices_app.command("send")
def notices_send(
    day: Annotated[Optional[str], typer.Option("--date", help="Send what is due on this day (default: today)")] = None,
    db: DbOption = None,
) -> None:
    """Send the notices due (the scheduler does this every night after paying); a second
    run sends none of them again."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    on = parse_day(day, "--date") if day is not None else date.today()
    emit(guarded(lambda: services(db).send_notices(on)))
