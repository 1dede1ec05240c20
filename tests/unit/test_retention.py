"""The retention period's date arithmetic (huishoudboekje/retention.py) and its setting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from huishoudboekje.config import Settings, SettingsError
from huishoudboekje.retention import due, first_kept, kept_until, past_retention


def test_records_are_kept_through_the_same_day_seven_years_later_and_erased_the_day_after():
    ended = date(2026, 11, 30)
    assert kept_until(ended, 7) == date(2033, 11, 30)
    assert not past_retention(ended, 7, date(2033, 11, 29))  # seven years less a day
    assert not past_retention(ended, 7, date(2033, 11, 30))  # exactly seven years: still kept
    assert past_retention(ended, 7, date(2033, 12, 1))  # seven years and a day


def test_a_participation_ended_on_29_february_is_kept_through_28_february_of_a_common_year():
    ended = date(2024, 2, 29)
    assert kept_until(ended, 7) == date(2031, 2, 28)
    assert not past_retention(ended, 7, date(2031, 2, 28))
    assert past_retention(ended, 7, date(2031, 3, 1))
    # eight years on is a leap year: the day exists
    assert kept_until(ended, 8) == date(2032, 2, 29)
    assert not past_retention(ended, 8, date(2032, 2, 29)) and past_retention(ended, 8, date(2032, 3, 1))


def test_a_participation_ended_on_28_february_is_not_moved_by_a_leap_year():
    assert kept_until(date(2025, 2, 28), 7) == date(2032, 2, 28)
    assert past_retention(date(2025, 2, 28), 7, date(2032, 2, 29))


@pytest.mark.parametrize("today", [date(2031, 2, 28), date(2031, 3, 1), date(2032, 2, 29), date(2032, 3, 1),
                                   date(2033, 11, 21)])
def test_a_date_before_the_first_kept_one_is_exactly_a_date_past_the_period(today):
    for offset in range(-800, 800):  # every day around the boundary, leap days included
        day = today.replace(year=today.year - 7, day=1 if today.day == 29 else today.day) + timedelta(days=offset)
        assert (day < first_kept(today, 7)) == past_retention(day, 7, today), day


def test_due_lists_only_what_is_past_the_period_by_dossier_with_its_last_kept_day():
    found = due([("B", date(2019, 1, 1)), ("A", date(2018, 12, 31)), ("C", date(2019, 1, 3))], 7, date(2026, 1, 2))
    assert [(d.dossier, d.kept_until) for d in found] == [("A", date(2025, 12, 31)), ("B", date(2026, 1, 1))]
    assert found[0].as_dict() == {"dossier": "A", "ended": "2018-12-31", "kept_until": "2025-12-31"}


def test_the_setting_defaults_to_seven_years(monkeypatch):
    monkeypatch.delenv("HHB_RETENTION_YEARS", raising=False)
    assert Settings().retention_years == 7
    monkeypatch.setenv("HHB_RETENTION_YEARS", " 10 ")
    assert Settings().retention_years == 10


@pytest.mark.parametrize("value, message", [
    ("seven", "HHB_RETENTION_YEARS: 'seven' is not a whole number of years (such as 7)"),
    ("7.5", "HHB_RETENTION_YEARS: '7.5' is not a whole number of years (such as 7)"),
    ("0", "HHB_RETENTION_YEARS: 0 is not a number of years from 1 to 100 "
          "(records are kept this long after participation ends)"),
])
def test_a_retention_that_is_not_a_number_of_years_is_refused_in_one_sentence(monkeypatch, value, message):
    monkeypatch.setenv("HHB_RETENTION_YEARS", value)
    with pytest.raises(SettingsError) as caught:
        Settings()
    assert str(caught.value) == message
