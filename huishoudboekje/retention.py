"""The retention period: a household's personal data is erased when its participation
ended more than HHB_RETENTION_YEARS whole years ago (`hhb retention run`, and each night
after paying).

The run asks no second person: how long records are kept is the municipality's
decision, taken once in the setting (the fiscal duty to keep them is seven years), so
erasing what is past it carries out that decision rather than making a new one. Each
erasure is still recorded with its actor (`retention`) and reason, and `refusal` still
holds back a household that takes part again or holds money, as for a person's erasure.

The date arithmetic is pure (`kept_until`, `past_retention`, `due`); `run` reads the
households and calls `erasure.erase`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import erasure
from .domain.errors import DomainError
from .domain.household import ENDED, household_id
from .engine import Engine

ACTOR = "retention"
REASON = "bewaartermijn verstreken"


def kept_until(ended: date, years: int) -> date:
    """The last day the records of a participation that ended on `ended` are kept: the
    same day `years` later; a participation that ended on 29 February is kept through
    28 February in a year that has none (and erased from 1 March)."""
    try:
        return ended.replace(year=ended.year + years)
    except ValueError:  # 29 February, and the year `years` later is no leap year
        return ended.replace(year=ended.year + years, day=28)


def past_retention(ended: date, years: int, today: date) -> bool:
    """Whether the participation ended more than `years` years before `today`."""
    return today > kept_until(ended, years)


def first_kept(today: date, years: int) -> date:
    """The earliest date whose records are still kept on `today`: a date before it is
    past the period (`past_retention`), as for the value date of a statement line."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February: 28 February that many years back is past it too
        return date(today.year - years, 3, 1)


@dataclass(frozen=True)
class Due:
    """A household whose retention period is over on the day of the run."""

    dossier: str
    ended: date
    kept_until: date

    def as_dict(self) -> dict[str, str]:
        return {"dossier": self.dossier, "ended": self.ended.isoformat(), "kept_until": self.kept_until.isoformat()}


def due(ended: Iterable[tuple[str, date]], years: int, today: date) -> list[Due]:
    """Of (dossier, end of participation) pairs, those past the period on `today`, by dossier."""
    return sorted((Due(dossier, end, kept_until(end, years)) for dossier, end in ended
                   if past_retention(end, years, today)), key=lambda d: d.dossier)


def ended_households(engine: Engine, dossiers: Iterable[str]) -> list[tuple[str, date]]:
    """(dossier, end of participation) of those of `dossiers` whose participation ended,
    from their events (the read model only narrows down which to load)."""
    pairs = []
    for dossier in dossiers:
        household = engine.household(dossier)
        if household.status == ENDED and household.end is not None:
            pairs.append((dossier, household.end))
    return pairs


def _is_erased(engine: Engine, dossier: str) -> bool:
    """Erased before: its key is destroyed (`personal_data.Keyring`)."""
    return engine.keyring.destroyed(household_id(dossier))


def run(engine: Engine, dossiers: Iterable[str], today: date, years: int, *,
        dry_run: bool = False) -> dict[str, Any]:
    """Erase (or, in a dry run, list) every household of `dossiers` past the retention
    period on `today` that is not erased yet and that `erasure.refusal` does not hold
    back (it takes part again, its final settlement is not paid, it holds money).

    A household that fails to erase is reported and the others go on: the night's
    other work must not stop for one household, and the next run tries it again.
    """
    summary: dict[str, Any] = {"date": today.isoformat(), "retention_years": years, "dry_run": dry_run,
                               "due": [], "erased": [], "refused": [], "failed": [], "already_erased": 0}
    for item in due(ended_households(engine, dossiers), years, today):
        if _is_erased(engine, item.dossier):
            summary["already_erased"] += 1
            continue
        reason = erasure.refusal(engine, item.dossier, today)
        if reason is not None:
            summary["refused"].append({**item.as_dict(), "reason": reason})
            continue
        summary["due"].append(item.as_dict())
        if dry_run:
            continue
        try:
            erasure.erase(engine, item.dossier, reason=REASON, actor=ACTOR, confirmed_by=None, today=today,
                          authorised=True)  # the setting is the decision: no person to authorise
        except DomainError as exc:
            summary["failed"].append({**item.as_dict(), "reason": str(exc)})
            continue
        summary["erased"].append(item.as_dict())
    return summary
