"""Logs as text (for a person reading a terminal) or as JSON lines (HHB_LOG_FORMAT=json),
one object a line, for a log collector: time, level, logger, message and any fields a
caller passed with `extra={"fields": {...}}`.

Request lines name the route's template (`/p/{token}`), never the path: a participant's
link is a secret and must not end up in a log.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(log_format: str) -> None:
    """Route every log record (ours and the web server's) through one handler on stderr:
    JSON lines for `json`; for `text`, leave the defaults as they are."""
    if log_format != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in SERVER_LOGGERS:
        server = logging.getLogger(name)
        server.handlers, server.propagate = [], True


class LogConsole:
    """Stands in for a rich Console where a command only prints lines (the scheduler):
    each line becomes a log record, so it is a JSON line when the logs are."""

    def __init__(self, name: str) -> None:
        self.log = logging.getLogger(name)

    def print(self, text: str, *args: Any, **kwargs: Any) -> None:
        self.log.info(text)
