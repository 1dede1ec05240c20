"""What a request handler depends on: the process's context, the caller, and what they may see.

Roles: `staff` and `teamlead` see and change their own team's households only (any
other household answers 404, exactly as an unknown one); `teamlead` also reads
reports; `auditor` reads everything and writes nothing; `job` imports statements and
creditor reports, runs the pay date and fetches payment files; `participant` reads
their own household under /me and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from huishoudboekje import access
from huishoudboekje.access import Principal
from huishoudboekje.config import Settings
from huishoudboekje.domain.access import AUDITOR, PARTICIPANT, STAFF, TEAMLEAD
from huishoudboekje.domain.household import Household, household_id
from huishoudboekje.engine import Engine
from huishoudboekje.projections.views import Projections

from ..bootstrap import Services
from ..shared_state import SharedState
from .errors import Problem
from .limiter import FailedLogins, client_address, trusted_networks

TEAM = (STAFF, TEAMLEAD)  # scoped to the households of their own team
READERS = (STAFF, TEAMLEAD, AUDITOR)
UPLOAD = "request body"  # what errors call the uploaded document


class Context:
    """What every request handler may need, built once per process."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.engine: Engine = services.engine
        self.settings: Settings = services.settings
        self.shared: SharedState = services.shared_state  # what every server process sees alike
        self.failed_logins = FailedLogins(self.shared)
        self.trusted_proxies = trusted_networks(services.settings)
        self.views: Projections = services.projections
        self.views_lock = services.projections_lock


def context(request: Request) -> Context:
    return request.app.state.context


bearer = HTTPBearer(auto_error=False)


def principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
              ctx: Context = Depends(context)) -> Principal:
    """The caller, from `Authorization: Bearer <token>`; failed attempts are rate-limited."""
    if credentials is None:
        raise Problem(401, "Not authenticated", "send Authorization: Bearer <token>")
    found = access.authenticate(ctx.engine, credentials.credentials)
    if found is None:
        refuse_failed(request, ctx, credentials.credentials)
        raise Problem(401, "Not authenticated", "unknown, expired or revoked token")
    return found


def participant_principal(request: Request, token: str, ctx: Context) -> Principal:
    """A participant's personal link token (from the URL path)."""
    found = access.authenticate(ctx.engine, token)
    if found is None or found.role != PARTICIPANT:
        refuse_failed(request, ctx, token)
        raise Problem(404, "Not found", "this link is unknown, expired or revoked")
    return found


def refuse_failed(request: Request, ctx: Context, credential: str) -> None:
    """Count a failed attempt; Problem(429) once its client or its credential failed too often."""
    if ctx.failed_logins.refused(client_address(request, ctx.trusted_proxies), credential):
        raise Problem(429, "Too many requests", "too many failed attempts; wait a minute")


# -- access --------------------------------------------------------------------------------


def role(*allowed: str) -> Any:
    """A dependency: the caller, if their role may use the endpoint (403 otherwise)."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if who.role not in allowed:
            raise Problem(403, "Forbidden", f"a {who.role} credential may not use this endpoint")
        return who

    return Depends(check)


def hidden(dossier: str) -> Problem:
    """The answer for another team's household: word for word that of an unknown one."""
    return Problem(404, "Not found", f"no household with dossier {dossier}", "dossier")


def may_see(who: Principal, team: str) -> bool:
    return who.role not in TEAM or team == who.team


def visible(ctx: Context, who: Principal, dossier: str) -> Household:
    """A household from the read model, if the caller may see it."""
    household = ctx.views.household(dossier)
    if household is None or not may_see(who, household.team):
        raise hidden(dossier)
    return household


def check_own(ctx: Context, who: Principal, dossier: str, missing: Problem | None = None) -> None:
    """Before a write: the household must be the caller's team's (read from the events, not a view)."""
    if who.role not in TEAM:
        return
    household = ctx.engine.get_or_none(household_id(dossier))
    if household is None or household.team != who.team:
        raise missing or hidden(dossier)
