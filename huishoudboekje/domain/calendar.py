"""Business days for payment execution: the TARGET2 calendar.

SEPA credit transfers execute on TARGET2 business days only. Dutch public holidays
such as King's Day are *not* closing days, so the country calendar would be wrong.
A date that falls on a closing day moves to the business day *before* it, never after:
a charge paid a day early is harmless, a day late is arrears.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _closing_days(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _closing_days(day.year)


def previous_business_day(day: date) -> date:
    """`day` itself when it is a business day, otherwise the nearest one before it."""
    while not is_business_day(day):
        day -= ONE_DAY
    return day


def next_business_day(day: date) -> date:
    """`day` itself when it is a business day, otherwise the nearest one after it."""
    while not is_business_day(day):
        day += ONE_DAY
    return day


def add_business_days(day: date, count: int) -> date:
    """The business day `count` business days after `day` (count >= 0)."""
    current = day
    remaining = count
    while remaining > 0:
        current += ONE_DAY
        if is_business_day(current):
            remaining -= 1
    return current


def last_business_day(year: int, month: int) -> date:
    if month == 12:
        last = date(year, 12, 31)
    else:
        last = date(year, month + 1, 1) - ONE_DAY
    return previous_business_day(last)
