"""`hhb` commands for teams, tokens and links, and serving the API."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer
from rich.table import Table

from huishoudboekje.domain.access import PARTICIPANT

from ..access_log import LINK_CREATED, LINK_REVOKED

from .common import (ActorOption, DbOption, JsonOption, actor_of, app, emit, engine, err, fail, guarded, out,
                     services, settings)


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
    rows = services(db, create=False).teams()
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
    role: Annotated[str, typer.Option("--role", help="staff, teamlead, auditor, finance, privacy or job")],
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
    svc = services(db)
    store = svc.engine
    name = guarded(lambda: store.household(dossier)).participants[0].name
    secret, credential = guarded(lambda: access.issue(store, PARTICIPANT, name, actor_of(actor),
                                                      dossier=dossier, valid_days=days,
                                                      max_days=config.max_credential_days))
    svc.read_by(actor_of(actor), [dossier], f"{LINK_CREATED} {credential.short_id}")
    emit({"link": f"{base_url.rstrip('/')}/p/{secret}", "id": credential.short_id, "dossier": dossier,
          "expires": credential.expires.isoformat() if credential.expires else None})


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, db: DbOption = None, actor: ActorOption = None) -> None:
    """Revoke a token or link by its id."""
    from huishoudboekje import access

    svc = services(db)
    credential = guarded(lambda: access.revoke(svc.engine, token_id, actor_of(actor)))
    if credential.dossier:  # a participant's link
        svc.read_by(actor_of(actor), [credential.dossier], f"{LINK_REVOKED} {credential.short_id}")
    emit({"id": credential.short_id, "revoked": credential.revoked.isoformat()})


@tokens_app.command("list")
def tokens_list(db: DbOption = None) -> None:
    """List tokens and links (never their secrets)."""
    from huishoudboekje import access

    emit([{"id": c.short_id, "role": c.role, "name": c.name, "team": c.team, "dossier": c.dossier,
           "issued": c.issued.isoformat(), "expires": c.expires.isoformat() if c.expires else None,
           "revoked": c.revoked.isoformat() if c.revoked else None} for c in access.credentials(engine(db, create=False))])


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Default: HHB_HOST or 127.0.0.1")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Default: HHB_PORT or 8000")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", min=1, help="Server processes (default: HHB_WORKERS or 1); they share the "
                                 "Idempotency-Keys and the sign-in limiter through the database")] = None,
    db: DbOption = None,
) -> None:
    """Serve the staff API (/api/v1, OpenAPI at /openapi.json) and the participants' page (/p/…)."""
    import uvicorn

    config = settings()
    workers = workers or config.workers
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1,
    # and a client there could claim any address; the app decides (HHB_TRUSTED_PROXIES).
    options = {"host": host or config.host, "port": port or config.port, "log_level": "warning",
               "proxy_headers": False}
    if workers == 1:
        from ..api.app import create_app

        uvicorn.run(create_app(db, config), **options)
        return
    _prepare_store(db)
    if db:  # each worker process builds its app from the environment (`from_environment`)
        os.environ["HHB_DATABASE_URL"] = db
    uvicorn.run("adapters.api.app:from_environment", factory=True, workers=workers, **options)


def _prepare_store(db: str | None) -> None:
    """Open the store once before the workers start: a store that cannot be used is one
    clear error here, and the tables exist before several processes would create them at once."""
    svc = services(db)
    try:
        svc.projections  # noqa: B018 - building it creates the read-model tables
        svc.shared_state.close()  # opening it creates the shared tables
    finally:
        svc.engine.close()
