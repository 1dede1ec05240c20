"""What every `hhb` command shares: the Typer app, options, output, the services, errors.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (nothing was written),
3 not found.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from huishoudboekje.config import Settings, SettingsError
from huishoudboekje.engine import Engine

from ..bootstrap import Services, bootstrap
from ..errors import BAD_INPUT, REFUSED, UNEXPECTED, refusal
from ..logs import configure as configure_logs
from ..store import StoreError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Huishoudboekje: one pay date a month.")
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", envvar="HHB_DATABASE_URL", help="postgresql://… or sqlite:///FILE (default: ./var)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ActorOption = Annotated[Optional[str], typer.Option("--actor", envvar="HHB_ACTOR", help="Who gives the command")]

ROOT = Path(__file__).resolve().parents[2]


def settings() -> Settings:
    try:
        config = Settings()
    except SettingsError as exc:  # one sentence a line, each naming its variable
        fail(str(exc))
    configure_logs(config.log_format)
    return config


def services(db: str | None, create: bool = True) -> Services:
    """The services on the store; `create` False for a command that only reads: a store
    that is not there is refused, naming where it was looked for, not made empty."""
    try:
        return bootstrap(db, settings(), create)
    except StoreError as exc:
        fail(str(exc))


def engine(db: str | None, create: bool = True) -> Engine:
    return services(db, create).engine


def fail(message: str, code: int = BAD_INPUT) -> Any:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def guarded(action: Callable[[], Any]) -> Any:
    """Run a command; turn the errors a user can fix into a message and their exit code
    (`adapters/errors.py`: 2 bad input, 3 not found, 1 a job stopped part-way)."""
    try:
        return action()
    except REFUSED as exc:
        meaning = refusal(exc)
        fail(str(exc), meaning.exit_code if meaning else UNEXPECTED)


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def actor_of(actor: str | None) -> str:
    return actor or settings().actor


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # as the API's BusinessDate


def parse_day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: '{value}' is not a date (YYYY-MM-DD)")
    if not FIRST_DAY <= day <= LAST_DAY:
        fail(f"{name}: {value} is outside the years the engine works with ({FIRST_DAY} to {LAST_DAY})")
    return day
