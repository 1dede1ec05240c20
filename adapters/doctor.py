"""`hhb doctor`: the settings, the database, the accounts, the folders and the scheduler's
time zone checked in one go, each finding one line; nothing is written or made.

A finding is `ok`, a `note` (worth knowing, not wrong) or a `problem` (the command exits
non-zero). The checks after the settings need settings that load, so a settings problem
is reported alone with the areas it left unchecked.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from huishoudboekje.config import Settings, SettingsError

from .store import NO_SCHEMA, NO_TABLES, StoreError, describe, persistence_env, postgres_state

DEMO_ACCOUNT = "NL39BNGH0285009999"  # the default of HHB_MANAGED_ACCOUNTS: the demo's
AREAS = ("settings", "database", "accounts", "folders", "scheduler")


@dataclass(frozen=True)
class Finding:
    area: str
    level: str  # ok, note or problem
    text: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def examine(db: str | None = None, today: date | None = None) -> list[Finding]:
    """Every finding, in the order of AREAS."""
    try:
        settings = Settings()
    except SettingsError as exc:
        found = [Finding("settings", "problem", line) for line in str(exc).splitlines()]
        return found + [Finding(area, "note", "not checked: the settings must be right first") for area in AREAS[1:]]
    named = sorted(name for name in os.environ if name.upper().startswith("HHB_"))
    found = [Finding("settings", "ok", f"{len(named)} set in the environment: {', '.join(named) or 'none'}")]
    households, database = _database(db or settings.database_url, settings)
    found += database
    found += _accounts(settings, households)
    found += _folders(settings)
    found += _scheduler(settings, today or date.today())
    return found


def _database(url: str | None, settings: Settings) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The store's households (empty where there is no store) and what was found."""
    try:
        env = persistence_env(url, settings.var_dir, create=False)
        if env["PERSISTENCE_MODULE"] == "adapters.pgstore":
            state = postgres_state(env)
            if state in (NO_SCHEMA, NO_TABLES):
                why = " (the schema does not exist)" if state == NO_SCHEMA else ""
                return [], [Finding("database", "problem", f"no store in {describe(env)}{why}")]
        elif not Path(env["SQLITE_DBNAME"]).is_file():
            return [], [Finding("database", "problem", f"no store at {Path(env['SQLITE_DBNAME']).resolve()}")]
        from .bootstrap import bootstrap

        services = bootstrap(url, settings, create=False)
        try:
            lag = services.projections.status().lag
            households = services.projections.households()
        finally:
            services.engine.close()
    except StoreError as exc:
        return [], [Finding("database", "problem", str(exc))]
    found = [Finding("database", "ok", f"{describe(env)}: {len(households)} households")]
    if lag > settings.ready_max_lag:
        found.append(Finding("database", "problem", f"the read models are {lag} events behind, more than "
                                                    f"HHB_READY_MAX_LAG ({settings.ready_max_lag}): is "
                                                    "`hhb projections run` running?"))
    return households, found


def _accounts(settings: Settings, households: list[dict[str, Any]]) -> list[Finding]:
    managed = settings.managed_accounts
    found = []
    if "managed_accounts" not in settings.model_fields_set:
        found.append(Finding("accounts", "problem", f"HHB_MANAGED_ACCOUNTS is not set: the demo's account "
                                                    f"{DEMO_ACCOUNT} is used"))
    for account in sorted(set(settings.funding_accounts) & set(managed)):
        found.append(Finding("accounts", "problem", f"{account} is in HHB_FUNDING_ACCOUNTS and in "
                                                    "HHB_MANAGED_ACCOUNTS; a funding account is the municipality's own"))
    if settings.maatwerk_account and settings.maatwerk_account not in managed:
        found.append(Finding("accounts", "note", f"HHB_MAATWERK_ACCOUNT {settings.maatwerk_account} is not one "
                                                 "of HHB_MANAGED_ACCOUNTS"))
    strangers: dict[str, int] = {}
    for row in households:
        if row.get("account") and row["account"] not in managed:
            strangers[row["account"]] = strangers.get(row["account"], 0) + 1
    for account, count in sorted(strangers.items()):
        found.append(Finding("accounts", "problem", f"{count} household(s) are paid from {account}, which is not "
                                                    "in HHB_MANAGED_ACCOUNTS"))
    if not any(f.level == "problem" for f in found):
        found.insert(0, Finding("accounts", "ok", f"managed: {', '.join(managed)}"))
    return found


def _folder(path: Path, setting: str) -> Finding:
    where = path.resolve()
    if where.is_dir():
        if os.access(where, os.W_OK | os.X_OK):
            return Finding("folders", "ok", f"{setting} {where} is there and writable")
        return Finding("folders", "problem", f"{setting} {where} is not writable for this user")
    if where.exists():
        return Finding("folders", "problem", f"{setting} {where} is a file, not a folder")
    parent = next(p for p in where.parents if p.exists())
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return Finding("folders", "note", f"{setting} {where} is not there yet; it is made when first needed")
    return Finding("folders", "problem", f"{setting} {where} is not there and cannot be made ({parent} is not "
                                         "writable)")


def _folders(settings: Settings) -> list[Finding]:
    found = [_folder(settings.var_dir, "HHB_VAR_DIR"), _folder(settings.outbox, "HHB_OUTBOX_DIR")]
    if settings.maatwerk_prices is not None and not settings.maatwerk_prices.is_file():
        found.append(Finding("folders", "problem", f"HHB_MAATWERK_PRICES {settings.maatwerk_prices.resolve()} "
                                                   "is not a file"))
    return found


def _scheduler(settings: Settings, today: date) -> list[Finding]:
    zone = ZoneInfo(settings.timezone)
    at = time.fromisoformat(settings.scheduler_time.zfill(5))
    found = [Finding("scheduler", "ok", f"the job runs every night at {settings.scheduler_time} {settings.timezone}")]
    for offset in range(366):
        day = today + timedelta(days=offset)
        local = datetime.combine(day, at, tzinfo=zone)
        if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            found.append(Finding("scheduler", "note", f"{settings.scheduler_time} does not exist on {day} in "
                                                      f"{settings.timezone} (clocks go forward): the job starts an "
                                                      "hour later that night"))
        elif local.utcoffset() != local.replace(fold=1).utcoffset():
            found.append(Finding("scheduler", "note", f"{settings.scheduler_time} happens twice on {day} in "
                                                      f"{settings.timezone} (clocks go back): the job starts twice; "
                                                      "the second start finds nothing left to do"))
    machine = datetime.now().astimezone()
    if machine.utcoffset() != machine.astimezone(zone).utcoffset():
        found.append(Finding("scheduler", "note", f"this machine's clock is set to another time zone "
                                                  f"({machine.tzname()}); the job still follows {settings.timezone}"))
    return found
