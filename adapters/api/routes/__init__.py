"""Staff API routes: what the CLI does, over HTTP, with roles and team scoping; one module per tag.

Handlers check who may do what, call the services (`adapters/bootstrap.py`) and shape
the answer; every rule lives in `huishoudboekje/`. Every write records the caller as its
actor, brings the read models up to date, and may carry an `Idempotency-Key`.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import debts, households, maatwerk, me, privacy, runs, signals, statements, teams, treasury

router = APIRouter()
for part in (privacy, debts, households, teams, statements, runs, signals, treasury, maatwerk, me):
    router.include_router(part.router)

__all__ = ["router"]
