"""Working days: weekends and Vietnamese public holidays (holidays.VN) are skipped."""

import datetime

import pytest

from core.workdays import add_working_days, is_working_day, working_days_between

D = datetime.date


def test_tet_2027_days_off_come_from_the_holidays_package():
    # holidays.VN: Tết 2027 runs from Thursday 4/2 (29th of the lunar year) to Wednesday 10/2.
    assert [is_working_day(D(2027, 2, day)) for day in range(3, 12)] == [
        True,  # Wed 3/2
        False,
        False,
        False,
        False,
        False,
        False,
        False,  # Thu 4/2 .. Wed 10/2
        True,  # Thu 11/2
    ]


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        (D(2026, 11, 10), 3, D(2026, 11, 13)),  # Tue -> Fri, nothing to skip
        (D(2026, 11, 12), 5, D(2026, 11, 19)),  # Thu: Fri, (weekend), Mon, Tue, Wed, Thu
        (D(2026, 11, 14), 1, D(2026, 11, 16)),  # opened on a Saturday: Monday is the first working day
        (D(2027, 2, 3), 5, D(2027, 2, 17)),  # the day before Tết 2027: the whole holiday is skipped
        (D(2027, 4, 29), 1, D(2027, 5, 4)),  # 30/4 Fri, 1/5 Sat and its observed Monday 3/5
        (D(2026, 11, 12), 0, D(2026, 11, 12)),
    ],
)
def test_add_working_days_skips_weekends_and_public_holidays(start, count, due):
    assert add_working_days(start, count) == due


def test_working_days_between_is_the_inverse_of_adding():
    start = D(2027, 1, 28)
    for count in range(0, 15):
        assert working_days_between(start, add_working_days(start, count)) == count
    assert working_days_between(D(2027, 2, 3), D(2027, 2, 10)) == 0  # all Tết
    assert working_days_between(D(2027, 2, 17), D(2027, 2, 3)) == -5


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 11, 12), -1)
