"""The commands on a household's terms (`domain/terms.py`)."""

from datetime import date

import pytest

from huishoudboekje.domain.household import HouseholdError
from tests.unit.build import household


def test_a_pay_day_the_calendar_cannot_have_is_refused_with_the_day_named():
    made = household()
    for wrong in (0, 29, 31, True, "the last day"):
        with pytest.raises(HouseholdError, match=f"pay day: {wrong!r} is not 1–28 or 'last-business-day'"):
            made.change_pay_day(wrong, date(2027, 1, 1), "test")
    made.change_pay_day("last-business-day", date(2027, 1, 1), "test")
    assert made.pay_day_on(date(2027, 1, 1)) == "last-business-day"
