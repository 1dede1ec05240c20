"""The `hhb` command line: one module per group of commands, all on one Typer app.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (nothing was written),
3 not found.
"""

from __future__ import annotations

from . import access, debts, doctor, followup, households, maatwerk, notices, runs, statements, treasury  # noqa: F401 - each registers its commands
from . import privacy  # noqa: F401 - consent, access-log, subject-access
from . import erase  # noqa: F401 - crypto-shredding a household (issue 24)
from . import creditors  # noqa: F401 - the register of creditor organisations
from . import retention  # noqa: F401 - retention run, privacy migrate
from .common import app

__all__ = ["app"]
