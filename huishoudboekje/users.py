"""Staff accounts as the CLI and the API use them (`domain/staff.py`): add, list, disable,
and the account an actor acts as."""

from __future__ import annotations

from typing import Any

from . import teams
from .domain.staff import STAFF_ID, StaffAccount, StaffError, StaffRegister, clean_account
from .domain.team import TeamError
from .engine import Engine


def register(engine: Engine) -> StaffRegister:
    """The register as stored; a new, unsaved one in a store that has none yet."""
    return engine.get_or_none(STAFF_ID) or StaffRegister()


def add(engine: Engine, *, name: str, email: str, role: str, team: str | None, discipline: str | None,
        actor: str) -> dict[str, Any]:
    account = clean_account(name, email, role, team, discipline)
    if account.team is not None:
        try:
            teams.require(engine, account.team, "--team")
        except TeamError as exc:
            raise StaffError(str(exc), field="team") from None

    def attempt() -> dict[str, Any]:
        found = register(engine)
        found.add(account, actor)
        engine.save(found)  # a conflict (another process wrote it first) is retried
        return account.as_dict()

    return engine.retrying(attempt)


def listing(engine: Engine) -> list[dict[str, Any]]:
    return [a.as_dict() for a in sorted(register(engine).accounts.values(), key=lambda a: a.key)]


def disable(engine: Engine, name: str, actor: str) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        found = register(engine)
        if found.disable(name, actor):
            engine.save(found)
        return found.get(name).as_dict()

    return engine.retrying(attempt)


def acting(engine: Engine, name: str) -> StaffAccount:
    """The active account of the person `name` (an actor as the CLI's --actor gives it);
    NotFound / StaffError naming `actor` otherwise."""
    return register(engine).active(name)
