"""Monitoring maatwerk: per team and year what was spent (per month, per category), what
it avoided (per price-list item), the ratio of the two, the budget and any overrun, and
how households were doing six months later.

A case counts in the year and month it was paid, for what it cost (its amount less what
came back); a case whose payment came back in full avoided nothing. Every figure is a
sum over the same cases, so the months, the categories and the team's totals add up.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import teams
from .domain.maatwerk import OUTCOMES, PAID, MaatwerkCase, budget_id
from .domain.maatwerk_proposal import CATEGORIES
from .domain.money import Money
from .engine import Engine
from .maatwerk import cases

CSV_COLUMNS = ("team", "year", "month", "category", "cases", "spent", "avoided")


def _avoided(found: MaatwerkCase) -> dict[str, Money]:
    if found.spent.is_positive:
        return found.proposal.avoided_by_item()
    return {}


def _sums() -> dict[str, Any]:
    return {"cases": 0, "spent": Money.zero(), "avoided": Money.zero()}


def _add(into: dict[str, Any], found: MaatwerkCase) -> None:
    into["cases"] += 1
    into["spent"] = into["spent"] + found.spent
    into["avoided"] = into["avoided"] + sum(_avoided(found).values(), Money.zero())


def _text(sums: dict[str, Any]) -> dict[str, Any]:
    return {"cases": sums["cases"], "spent": str(sums["spent"]), "avoided": str(sums["avoided"])}


def ratio(avoided: Money, spent: Money) -> str | None:
    if not spent.is_positive:
        return None
    return str((avoided.amount / spent.amount).quantize(Decimal("0.01"), ROUND_HALF_UP))


def team_report(engine: Engine, team: str, year: int, paid: list[MaatwerkCase], default_budget: Money,
                today: date) -> dict[str, Any]:
    stored = engine.get_or_none(budget_id(team, year))
    budget = stored.amount if stored is not None else default_budget
    total, by_category, by_month = _sums(), {c: _sums() for c in CATEGORIES}, defaultdict(_sums)
    by_item: dict[str, Money] = defaultdict(Money.zero)
    outcomes = {o: 0 for o in (*OUTCOMES, "due", "not_yet_due")}
    for found in paid:
        _add(total, found)
        _add(by_category[found.proposal.category], found)
        _add(by_month[f"{found.paid_on:%Y-%m}"], found)
        for item, amount in _avoided(found).items():
            by_item[item] = by_item[item] + amount
        if found.follow_up is not None:
            outcomes[found.follow_up["outcome"]] += 1
        else:
            outcomes["due" if found.follow_up_due and today >= found.follow_up_due else "not_yet_due"] += 1
    spent = total["spent"]
    return {
        "team": team, "year": year, "budget": str(budget), "spent": str(spent),
        "remaining": str(budget - spent), "overrun": str((spent - budget).max(Money.zero())),
        "avoided": str(total["avoided"]), "ratio": ratio(total["avoided"], spent), "cases": total["cases"],
        "by_category": {c: _text(s) for c, s in by_category.items()},
        "by_month": {m: _text(by_month[m]) for m in sorted(by_month)},
        "avoided_by_item": {item: str(by_item[item]) for item in sorted(by_item)},
        "outcomes": outcomes,
    }


def _paid(engine: Engine, year: int) -> dict[str, list[MaatwerkCase]]:
    paid: dict[str, list[MaatwerkCase]] = defaultdict(list)
    for found in cases(engine):
        if found.status == PAID and found.paid_on is not None and found.paid_on.year == year:
            paid[found.team].append(found)
    return paid


def report(engine: Engine, year: int, default_budget: Money, today: date, team: str | None = None) -> dict[str, Any]:
    """Each team's year (every registered team and every team with a case, or `team`)."""
    paid = _paid(engine, year)
    names = [team] if team is not None else sorted({t["name"] for t in teams.listing(engine)} | set(paid))
    rows = [team_report(engine, name, year, sorted(paid.get(name, []), key=lambda c: c.number), default_budget,
                        today) for name in names]
    return {"year": year, "teams": rows}


def as_csv(engine: Engine, year: int, team: str | None = None) -> str:
    """One line per team, month and category that had a case paid."""
    lines: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(_sums)
    for name, paid in _paid(engine, year).items():
        if team is not None and name != team:
            continue
        for found in paid:
            _add(lines[(name, f"{found.paid_on:%Y-%m}", found.proposal.category)], found)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for (name, month, category), sums in sorted(lines.items()):
        writer.writerow((name, year, month, category, sums["cases"], sums["spent"], sums["avoided"]))
    return out.getvalue()
