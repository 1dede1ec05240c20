"""Statement files in: size limit, format detection, parsing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from huishoudboekje.domain.statement import VALUE_DAYS_AHEAD, Statement, StatementError, refuse_implausible

from .camt053 import is_camt053, parse_camt053
from .mt940 import is_mt940, parse_mt940

SNIFF = 8192


def parse_statement_bytes(data: bytes, file: str, max_bytes: int, *, today: date | None = None,
                          days_ahead: int = VALUE_DAYS_AHEAD) -> list[Statement]:
    """Parse one uploaded file; entries no bank books (see `refuse_implausible`) are refused."""
    statements = _parse_bytes(data, file, max_bytes)
    refuse_implausible(statements, today or date.today(), days_ahead)
    return statements


def _parse_bytes(data: bytes, file: str, max_bytes: int) -> list[Statement]:
    if len(data) > max_bytes:
        raise StatementError(file, None, f"file is {len(data)} bytes, over the limit of {max_bytes} "
                                         "(HHB_MAX_STATEMENT_BYTES)")
    head = data[:SNIFF]
    if is_camt053(head):
        return parse_camt053(data, file)
    if is_mt940(head):
        return parse_mt940(data, file)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return parse_camt053(data, file)  # XML of another kind: the parser names what it is
    raise StatementError(file, None, "not a bank statement: neither camt.053 XML nor MT940")


def parse_statement_file(path: Path, max_bytes: int, *, today: date | None = None,
                         days_ahead: int = VALUE_DAYS_AHEAD) -> list[Statement]:
    """Parse one file; entries no bank books (see `refuse_implausible`) are refused."""
    statements = _parse_file(path, max_bytes)
    refuse_implausible(statements, today or date.today(), days_ahead)
    return statements


def _parse_file(path: Path, max_bytes: int) -> list[Statement]:
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise StatementError(name, None, "file not found") from None
    if size > max_bytes:
        raise StatementError(name, None, f"file is {size} bytes, over the limit of {max_bytes} "
                                         "(HHB_MAX_STATEMENT_BYTES)")
    head = path.open("rb").read(SNIFF)
    if is_camt053(head):
        with path.open("rb") as stream:  # streamed: memory stays flat for large files
            return parse_camt053(stream, name)
    return _parse_bytes(path.read_bytes(), name, max_bytes)


def parse_statement_files(paths: list[Path], max_bytes: int, *, today: date | None = None,
                          days_ahead: int = VALUE_DAYS_AHEAD) -> list[Statement]:
    """All files parsed before anything is recorded: one broken file stops the call.

    `today`: the import date (default: today); value dates more than `days_ahead` days
    after it, and amounts of zero, are refused with the file and entry named.
    """
    statements: list[Statement] = []
    for path in paths:
        statements.extend(parse_statement_file(path, max_bytes, today=today, days_ahead=days_ahead))
    return statements
