from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.calendar import is_business_day, previous_business_day
from huishoudboekje.domain.schedule import Schedule, ScheduleError

START = date(2026, 1, 1)


def monthly(day, **kw):
    return Schedule(every="month", start=kw.pop("start", START), day=day, **kw)


def test_day_past_the_end_of_a_short_month_means_its_last_day():
    s = monthly(31)
    assert s.occurrences(date(2026, 1, 1), date(2026, 4, 30)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert monthly(30).occurrences(date(2028, 2, 1), date(2028, 2, 29)) == [date(2028, 2, 29)]


def test_last_business_day_respects_target2_closing_days():
    s = Schedule(every="month", start=START, last_business_day=True)
    # 31 Oct 2026 is a Saturday; 31 Dec 2026 a Thursday (not a TARGET2 closing day)
    assert s.occurrences(date(2026, 10, 1), date(2026, 12, 31)) == [
        date(2026, 10, 30), date(2026, 11, 30), date(2026, 12, 31)]


def test_quarterly_and_yearly_on_given_months():
    water = Schedule(every="quarter", start=START, day=28, months=(2, 5, 8, 11))
    assert water.occurrences(date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 2, 28), date(2026, 5, 28), date(2026, 8, 28), date(2026, 11, 28)]
    tax = Schedule(every="year", start=START, day=31, months=(4,))
    assert tax.occurrences(date(2026, 1, 1), date(2027, 12, 31)) == [date(2026, 4, 30), date(2027, 4, 30)]


def test_weekly_four_weekly_and_once():
    weekly = Schedule(every="week", start=date(2026, 11, 2))
    assert weekly.occurrences(date(2026, 11, 1), date(2026, 11, 20)) == [
        date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    four = Schedule(every="4-weeks", start=date(2026, 11, 2))
    assert four.occurrences(date(2026, 11, 1), date(2027, 1, 31)) == [
        date(2026, 11, 2), date(2026, 11, 30), date(2026, 12, 28), date(2027, 1, 25)]
    on_mondays = Schedule(every="4-weeks", start=date(2026, 11, 4), weekday=0)  # starts on a Wednesday
    assert on_mondays.occurrences(date(2026, 11, 1), date(2027, 1, 31)) == [
        date(2026, 11, 9), date(2026, 12, 7), date(2027, 1, 4)]  # the first Monday, then every 4 weeks
    once = Schedule.from_dict({"every": "once", "date": "2026-12-05"})
    assert once.occurrences(date(2026, 1, 1), date(2027, 1, 1)) == [date(2026, 12, 5)]


def test_start_and_end_bound_the_schedule():
    s = monthly(15, start=date(2026, 3, 1), end=date(2026, 5, 15))
    assert s.occurrences(date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15)]


@pytest.mark.parametrize("raw, message", [
    ({"every": "month", "day": 32}, "day: 32"),
    ({"every": "month"}, "day:"),
    ({"every": "quarter", "day": 1}, "months:"),
    ({"every": "quarter", "day": 1, "months": [1, 4, 7]}, "four months"),
    ({"every": "fortnight", "day": 1}, "every:"),
    ({"every": "month", "day": 1, "end": "2025-01-01"}, "end:"),
])
def test_impossible_schedules_are_refused_with_the_field(raw, message):
    with pytest.raises(ScheduleError, match=message):
        Schedule.from_dict(raw, default_start=START)


def test_target2_calendar_is_not_the_dutch_holiday_calendar():
    assert is_business_day(date(2026, 4, 27))  # King's Day: banks execute payments
    assert not is_business_day(date(2026, 12, 25))
    assert not is_business_day(date(2026, 4, 3))  # Good Friday
    assert previous_business_day(date(2026, 12, 26)) == date(2026, 12, 24)
    assert previous_business_day(date(2027, 1, 1)) == date(2026, 12, 31)


schedules = st.one_of(
    st.builds(lambda d, s: Schedule(every="month", start=s, day=d),
              st.integers(1, 31), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    st.builds(lambda s: Schedule(every="month", start=s, last_business_day=True),
              st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    st.builds(lambda s, w: Schedule(every="week", start=s, weekday=w),
              st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 6)),
    st.builds(lambda s: Schedule(every="4-weeks", start=s), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    st.builds(lambda d, m, s: Schedule(every="quarter", start=s, day=d, months=tuple(sorted({m, m + 3, m + 6, m + 9}))),
              st.integers(1, 31), st.integers(1, 3), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    st.builds(lambda d, ms, s: Schedule(every="year", start=s, day=d, months=tuple(sorted(ms))),
              st.integers(1, 31), st.sets(st.integers(1, 12), min_size=1, max_size=3),
              st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    st.builds(lambda s: Schedule(every="once", start=s, end=s), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
)


@given(schedules, st.dates(date(2019, 1, 1), date(2031, 1, 1)), st.integers(0, 900),
       st.one_of(st.none(), st.integers(0, 2000)))
def test_occurrences_are_sorted_unique_and_inside_the_range(schedule, first, length, end_after):
    if end_after is not None and schedule.every != "once":
        schedule = schedule.ending(schedule.start + timedelta(days=end_after))
    last = first + timedelta(days=length)
    found = schedule.occurrences(first, last)
    assert found == sorted(set(found))
    assert all(first <= d <= last for d in found)
    assert all(schedule.start <= d for d in found)
    assert all(schedule.end is None or d <= schedule.end for d in found)


@given(st.dates(date(2000, 1, 1), date(2040, 12, 31)))
def test_business_day_adjustment_never_moves_a_date_later(day):
    adjusted = previous_business_day(day)
    assert adjusted <= day
    assert is_business_day(adjusted)
    assert day - adjusted <= timedelta(days=5)


def test_a_schedule_ended_before_it_starts_has_no_date_and_keeps_it_through_a_snapshot():
    # Ending participation before a one-off charge or a new agreement starts: no date
    # falls due, also after the schedule was stored and read back (snapshots, rows).
    for schedule in (Schedule(every="once", start=date(2027, 2, 1), end=date(2027, 2, 1)),
                     Schedule(every="month", start=date(2027, 2, 1), day=1)):
        ended = schedule.ending(date(2027, 1, 29))
        assert ended.end == date(2027, 1, 31)
        assert ended.occurrences(date(2026, 1, 1), date(2028, 1, 1)) == []
        assert Schedule.from_dict(ended.to_dict()) == ended
