"""When an agreement's money is due: recurrence rules on `dateutil.rrule`.

A schedule gives *nominal* dates (the 1st, the 28th, the last business day). Whether a
payment must be executed earlier because that date is a closing day is the business-day
calendar's job (`calendar.previous_business_day`), not the schedule's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Any, Iterator

from dateutil.rrule import MONTHLY, WEEKLY, rrule

from .calendar import last_business_day

FREQUENCIES = ("month", "week", "4-weeks", "quarter", "year", "once")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LAST_BUSINESS_DAY = "last-business-day"


class ScheduleError(ValueError):
    """A schedule that cannot be: day 32, a quarter without months, …"""


@dataclass(frozen=True)
class Schedule:
    every: str
    start: date
    end: date | None = None
    day: int | None = None  # 1–31; past the end of a short month means its last day
    last_business_day: bool = False
    months: tuple[int, ...] = field(default_factory=tuple)
    weekday: int | None = None  # 0 = Monday; for weekly schedules without it, the start's

    def __post_init__(self) -> None:
        check_schedule(self)

    # -- the dates --------------------------------------------------------------

    def occurrences(self, first: date, last: date) -> list[date]:
        """Nominal dates in [first, last] (both inclusive), sorted and unique."""
        lo = max(first, self.start)
        hi = last if self.end is None else min(last, self.end)
        if lo > hi:
            return []
        if self.every == "once":
            return [self.start] if lo <= self.start <= hi else []
        found: list[date] = []
        for year in range(lo.year, hi.year + 1):
            found.extend(d for d in self._dates_in_year(year) if lo <= d <= hi)
        return found

    def _dates_in_year(self, year: int) -> tuple[date, ...]:
        """A year's dates, computed once per rule and year: pay runs ask again and again.

        Monthly, quarterly and yearly rules do not depend on the start date, so every
        household with 'the 1st of the month' shares one cached list.
        """
        anchor = self.start if self.every in ("week", "4-weeks") else None
        return _year_of_rule(self.every, self.day, self.last_business_day, self.months,
                             self.weekday, anchor, year)

    def next_on_or_after(self, day: date, horizon_days: int = 800) -> date | None:
        dates = self.occurrences(day, day + timedelta(days=horizon_days))
        return dates[0] if dates else None

    def is_irregular(self) -> bool:
        """Charges due less often than monthly are reserved for in equal parts."""
        return self.every in ("quarter", "year")

    def months_since_previous(self, day: date) -> int:
        """For a quarterly or yearly schedule: the months from its date before `day`'s
        month to `day`'s month (12 for once a year). Months 1, 3, 7 and 9 give 2 before
        March and 4 before July: a reserve saves up over the months it really has."""
        months = sorted(self.months)
        earlier = [m for m in months if m < day.month]
        return day.month - (earlier[-1] if earlier else months[-1] - 12)

    def periods_per_year(self) -> int:
        return {
            "month": 12,
            "week": 52,
            "4-weeks": 13,
            "quarter": len(self.months),
            "year": len(self.months),
            "once": 1,
        }[self.every]

    def _inside(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def _rule(self) -> rrule:
        start = _dt(self.start)
        if self.every == "week":
            return rrule(WEEKLY, dtstart=start, byweekday=self._weekday())
        if self.every == "4-weeks":
            # Weeks counted from the start's own weekday: rrule's weeks begin on Monday,
            # so a Monday schedule starting on a Wednesday skipped to the next block of
            # four, three weeks after the first Monday.
            return rrule(WEEKLY, interval=4, dtstart=start, byweekday=self._weekday(), wkst=self.start.weekday())
        months = self.months if self.every in ("quarter", "year") else None
        assert self.day is not None
        if self.day <= 28:
            return rrule(MONTHLY, dtstart=start, bymonth=months, bymonthday=self.day)
        # Day 29–31: take the last existing day among 28..day in every month.
        return rrule(
            MONTHLY,
            dtstart=start,
            bymonth=months,
            bymonthday=tuple(range(28, self.day + 1)),
            bysetpos=-1,
        )

    def _weekday(self) -> int:
        return self.start.weekday() if self.weekday is None else self.weekday

    # -- the document form ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"every": self.every}
        if self.every == "once":
            data["date"] = self.start.isoformat()
            if self.end is not None and self.end != self.start:
                data["end"] = self.end.isoformat()
            return data
        if self.last_business_day:
            data["day"] = LAST_BUSINESS_DAY
        elif self.day is not None:
            data["day"] = self.day
        if self.months:
            data["months"] = list(self.months)
        if self.weekday is not None:
            data["weekday"] = WEEKDAYS[self.weekday]
        data["start"] = self.start.isoformat()
        if self.end is not None:
            data["end"] = self.end.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], default_start: date | None = None) -> Schedule:
        every = data.get("every")
        if every not in FREQUENCIES:
            raise ScheduleError(f"every: must be one of {', '.join(FREQUENCIES)}")
        if every == "once":
            on = _date(data.get("date") or data.get("start"), "date")
            # An end before the date (ended before it fell due) keeps it from falling due.
            end = min(on, _date(data["end"], "end")) if data.get("end") is not None else on
            return cls(every="once", start=on, end=end)
        start_raw = data.get("start")
        start = _date(start_raw, "start") if start_raw is not None else default_start
        if start is None:
            raise ScheduleError("start: a schedule needs a start date")
        end = _date(data["end"], "end") if data.get("end") is not None else None
        day = data.get("day")
        weekday = data.get("weekday")
        if isinstance(weekday, str):
            if weekday.lower() not in WEEKDAYS:
                raise ScheduleError(f"weekday: must be one of {', '.join(WEEKDAYS)}")
            weekday = WEEKDAYS.index(weekday.lower())
        return cls(
            every=every,
            start=start,
            end=end,
            day=None if day == LAST_BUSINESS_DAY else day,
            last_business_day=day == LAST_BUSINESS_DAY,
            months=tuple(data.get("months") or ()),
            weekday=weekday,
        )

    def ending(self, end: date) -> Schedule:
        """This schedule, ending on `end` at the latest. Ended before it starts (a new
        rent from February, when participation ends in January), it has no date at all:
        it ends the day before its start."""
        end = max(end, self.start - timedelta(days=1))
        return replace(self, end=end if self.end is None else min(self.end, end))


def check_schedule(s: Schedule) -> None:
    if s.every not in FREQUENCIES:
        raise ScheduleError(f"every: must be one of {', '.join(FREQUENCIES)}")
    if s.end is not None and s.end < s.start - timedelta(days=1):  # the day before: never (`ending`)
        raise ScheduleError("end: lies before the start")
    if s.every in ("month", "quarter", "year"):
        if s.last_business_day:
            if s.day is not None:
                raise ScheduleError("day: either a number or last-business-day")
        elif not isinstance(s.day, int) or isinstance(s.day, bool):
            raise ScheduleError("day: a day of the month (1–31) or last-business-day")
        elif not 1 <= s.day <= 31:
            raise ScheduleError(f"day: {s.day} is not a day of the month (1–31)")
    elif s.day is not None or s.last_business_day:
        raise ScheduleError(f"day: not used when every is {s.every}")
    if s.every in ("quarter", "year"):
        if not s.months:
            raise ScheduleError(f"months: a {s.every}ly schedule names its months")
        if any(not isinstance(m, int) or not 1 <= m <= 12 for m in s.months):
            raise ScheduleError("months: each month is a number 1–12")
        if len(set(s.months)) != len(s.months):
            raise ScheduleError("months: a month is named twice")
        if s.every == "quarter" and len(s.months) != 4:
            raise ScheduleError("months: a quarterly schedule names four months")
    elif s.months:
        raise ScheduleError(f"months: not used when every is {s.every}")
    if s.weekday is not None:
        if s.every not in ("week", "4-weeks"):
            raise ScheduleError(f"weekday: not used when every is {s.every}")
        if not 0 <= s.weekday <= 6:
            raise ScheduleError("weekday: monday … sunday")


@lru_cache(maxsize=16384)
def _year_of_rule(every: str, day: int | None, last_bd: bool, months: tuple[int, ...],
                  weekday: int | None, anchor: date | None, year: int) -> tuple[date, ...]:
    start = anchor or date(year, 1, 1)
    lo, hi = max(date(year, 1, 1), start), date(year, 12, 31)
    if lo > hi:
        return ()
    if last_bd:
        return tuple(_last_business_days(lo, hi))
    rule = Schedule(every=every, start=start, day=day, months=months, weekday=weekday)._rule()
    return tuple(d.date() for d in rule.between(_dt(lo), _dt(hi), inc=True))


def _last_business_days(lo: date, hi: date) -> Iterator[date]:
    year, month = lo.year, lo.month
    while (year, month) <= (hi.year, hi.month):
        day = last_business_day(year, month)
        if lo <= day <= hi:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _dt(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _date(value: Any, name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleError(f"{name}: '{value}' is not a date (YYYY-MM-DD)")
