"""Staff accounts as the CLI and the API use them (`domain/staff.py`): add, list, disable,
and the account an actor acts as."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from . import teams
from .domain.roles import person
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


# -- sign-in (issue 21): password (argon2id) and TOTP -----------------------------------------

MIN_PASSWORD = 12
ISSUER = "Huishoudboekje"


def set_password(engine: Engine, email: str, password: str, actor: str, *,
                 new_totp: bool = False) -> dict[str, Any]:
    """Set an account's password (stored as an argon2id hash); enrol a TOTP secret when it
    has none yet, or anew with `new_totp`. The answer carries `totp_uri` only when a secret
    was enrolled now: shown once, for the person's authenticator app."""
    import pyotp
    from argon2 import PasswordHasher

    if len(password) < MIN_PASSWORD or not password.strip():
        raise StaffError(f"password: at least {MIN_PASSWORD} characters / een wachtwoord van minstens "
                         f"{MIN_PASSWORD} tekens", field="password")
    password_hash = PasswordHasher().hash(password)  # argon2id, the library's default

    def attempt() -> dict[str, Any]:
        found = register(engine)
        account = found.by_email(email)
        if account is None:
            raise StaffError(f"email: there is no staff account with e-mail {email} (hhb users add)",
                             field="email")
        found.set_password(account.name, password_hash, actor)
        secret = None
        if new_totp or found.secret(account.name, "totp") is None:
            secret = pyotp.random_base32()
            found.enrol_totp(account.name, secret, actor)
        engine.save(found)
        answer: dict[str, Any] = {"name": account.name, "email": account.email, "password": "set"}
        if secret is not None:
            answer["totp_uri"] = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
        return answer

    return engine.retrying(attempt)


def check_sign_in(engine: Engine, email: str, password: str, code: str,
                  now: float | None = None) -> tuple[StaffAccount, int] | None:
    """The active account whose e-mail, password and current TOTP code these are, with the
    TOTP time step the code belongs to (the caller refuses a step used before: a code
    works once); None otherwise (which of the three was wrong is not told)."""
    import time

    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    found = register(engine)
    account = found.by_email(email)
    if account is None or not account.active:
        return None
    password_hash, secret = found.secret(account.name, "password"), found.secret(account.name, "totp")
    if password_hash is None or secret is None:
        return None
    try:
        PasswordHasher().verify(password_hash, password)
    except Argon2Error:
        return None
    step = totp_step(secret, code, time.time() if now is None else now)
    return None if step is None else (account, step)


def totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step (of 30 s) whose code this is, allowing one step of clock drift either way."""
    import hmac

    import pyotp

    totp, given = pyotp.TOTP(secret), (code or "").replace(" ", "")
    here = totp.timecode(datetime.fromtimestamp(now, timezone.utc))
    for step in (here, here - 1, here + 1):
        if given.isdigit() and hmac.compare_digest(totp.generate_otp(step), given):
            return step
    return None


def account(engine: Engine, name: str) -> StaffAccount | None:
    """The active account of this name, or None (disabled or gone)."""
    found = register(engine).accounts.get(person(name))
    return found if found is not None and found.active else None
