"""Staff accounts: who works here, in which team, with which role and discipline.

One `StaffRegister` per engine (a short stream: a municipality has hundreds of staff,
not thousands). An account is what an actor's team and discipline are read from: the
maatwerk's three approvals (`domain/maatwerk.py`) need three people of three
disciplines of the case's team, and take both from here, never from what a caller
says of themselves.

Sign-in (issue 21): an account's credentials (a password hash made with argon2id by
`huishoudboekje/users.py`, a TOTP secret) are set by events of their own (`PasswordSet`,
`TotpEnrolled`) into `secrets`, never into `StaffAccount`, so listing accounts can never
show them. A register written before sign-in existed loads with no secrets at all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError, NotFound
from .ids import NAMESPACE
from .roles import ROLES, Role, person
from .team import EMAIL

STAFF_ID = uuid5(NAMESPACE, "/staff")
DISCIPLINES = ("zorg", "schuldhulp", "inkomen")  # care worker, debt counsellor, income consultant
TEAM_ROLES = (Role.STAFF, Role.TEAMLEAD)  # an account of one of these belongs to a team
ACCOUNT_ROLES = tuple(r for r in ROLES if r != Role.PARTICIPANT)  # participants have links, not accounts


class StaffError(DomainError):
    """An account that cannot be added or changed as asked."""


@dataclass(frozen=True)
class StaffAccount:
    name: str
    email: str
    role: str
    team: str | None
    discipline: str | None
    active: bool = True

    @property
    def key(self) -> str:
        return person(self.name)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "email": self.email, "role": self.role, "team": self.team,
                "discipline": self.discipline, "active": self.active}


def clean_account(name: str, email: str, role: str, team: str | None, discipline: str | None) -> StaffAccount:
    """The account as it will be stored; StaffError naming the option that is wrong."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100 or any(unicodedata.category(c).startswith("C") for c in name):
        raise StaffError("--name: a name of 1 to 100 visible characters / een naam van 1 tot 100 tekens",
                         field="name")
    if ":" in name:
        raise StaffError(f"--name: '{name}' may not hold ':' (it separates role and name in an actor)",
                         field="name")
    if not EMAIL.fullmatch((email or "").strip()):
        raise StaffError(f"--email: '{email}' is not an e-mail address (like j.devries@example.nl)", field="email")
    if role not in ACCOUNT_ROLES:
        raise StaffError(f"--role: '{role}' is not one of {', '.join(ACCOUNT_ROLES)}", field="role")
    if role in TEAM_ROLES and not team:
        raise StaffError(f"--team: a {role} account belongs to a team; name it", field="team")
    if discipline is not None and discipline not in DISCIPLINES:
        raise StaffError(f"--discipline: '{discipline}' is not one of {', '.join(DISCIPLINES)} "
                         "(zorg: care worker, schuldhulp: debt counsellor, inkomen: income consultant)",
                         field="discipline")
    if discipline is not None and role not in TEAM_ROLES:
        raise StaffError(f"--discipline: only a member of a team has one, not a {role}", field="discipline")
    return StaffAccount(name, email.strip(), role, team or None, discipline)


class StaffRegister(Aggregate):
    """Every staff account by name (compared as `roles.person` compares actors)."""

    @staticmethod
    def create_id() -> UUID:
        return STAFF_ID

    @event("Opened")
    def __init__(self) -> None:
        self.accounts: dict[str, StaffAccount] = {}

    def add(self, account: StaffAccount, actor: str) -> None:
        if account.key in self.accounts:
            raise StaffError(f"--name: there is an account '{self.accounts[account.key].name}' already",
                             field="name")
        if any(a.email.casefold() == account.email.casefold() for a in self.accounts.values()):
            raise StaffError(f"--email: {account.email} is the address of another account", field="email")
        self._added(account=account, actor=actor)

    @event("UserAdded")
    def _added(self, account: StaffAccount, actor: str) -> None:
        self.accounts[account.key] = account

    def disable(self, name: str, actor: str) -> bool:
        """Disable an account; False if it was disabled already."""
        account = self.get(name)
        if not account.active:
            return False
        self._disabled(key=account.key, actor=actor)
        return True

    @event("UserDisabled")
    def _disabled(self, key: str, actor: str) -> None:
        self.accounts[key] = replace(self.accounts[key], active=False)

    def set_password(self, name: str, password_hash: str, actor: str) -> None:
        self._password_set(key=self.get(name).key, password_hash=password_hash, actor=actor)

    @event("PasswordSet")
    def _password_set(self, key: str, password_hash: str, actor: str) -> None:
        self._secrets()[key] = {**self._secrets().get(key, {}), "password": password_hash}

    def enrol_totp(self, name: str, secret: str, actor: str) -> None:
        self._totp_enrolled(key=self.get(name).key, secret=secret, actor=actor)

    @event("TotpEnrolled")
    def _totp_enrolled(self, key: str, secret: str, actor: str) -> None:
        self._secrets()[key] = {**self._secrets().get(key, {}), "totp": secret}

    def _secrets(self) -> dict[str, dict[str, str]]:
        if not hasattr(self, "secrets"):  # a register from before sign-in existed
            self.secrets: dict[str, dict[str, str]] = {}
        return self.secrets

    def secret(self, name: str, kind: str) -> str | None:
        """An account's password hash ("password") or TOTP secret ("totp"), if set."""
        return self._secrets().get(person(name), {}).get(kind)

    def by_email(self, email: str) -> StaffAccount | None:
        wanted = (email or "").strip().casefold()
        return next((a for a in self.accounts.values() if a.email.casefold() == wanted), None)

    def get(self, name: str) -> StaffAccount:
        found = self.accounts.get(person(name))
        if found is None:
            raise NotFound(f"actor: there is no staff account '{name}' (hhb users add)", field="actor")
        return found

    def active(self, name: str) -> StaffAccount:
        """The account an actor acts as; refused when there is none or it is disabled."""
        account = self.accounts.get(person(name))
        if account is None:  # not a missing thing looked up, but who gives the command: bad input
            raise StaffError(f"actor: there is no staff account '{name}' (hhb users add) "
                             "/ geen medewerkersaccount", field="actor")
        if not account.active:
            raise StaffError(f"actor: the account of {account.name} is disabled", field="actor")
        return account
