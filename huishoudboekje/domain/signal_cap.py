"""The cap on signals per team per month (issue 23). Creditors' covenants cap the early
warnings a team receives (one: at most 50 a month) so a team is not flooded. Above the
cap, the lowest-priority signals of that team's month are held back from the worklist,
never deleted, and the team report counts them; critical signals always show.

Which ones are held is decided the same way every time: signals of a household's team,
grouped by the month they were raised in, ranked by priority (severity), then the day
raised, then id; the first `cap` stay on the worklist, with every critical one, even
beyond the cap. Every status counts, so resolving a signal does not bring a held one back
into a month's worklist. The engine's own signals (no team) are never capped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .signals import CRITICAL, SEVERITY_RANK


def _rank(signal: dict[str, Any]) -> tuple[int, str, str]:
    return SEVERITY_RANK.get(signal["severity"], len(SEVERITY_RANK)), signal["raised_on"], signal["id"]


def held_back(signals: Iterable[dict[str, Any]], cap: int | None) -> set[str]:
    """The ids of the signals the cap holds back (`cap` None: none)."""
    if cap is None:
        return set()
    months: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for signal in signals:
        if signal.get("team"):
            months[(signal["team"], str(signal["raised_on"])[:7])].append(signal)
    held: set[str] = set()
    for rows in months.values():
        critical = sum(1 for s in rows if s["severity"] == CRITICAL)
        others = sorted((s for s in rows if s["severity"] != CRITICAL), key=_rank)
        held.update(s["id"] for s in others[max(cap - critical, 0):])
    return held
