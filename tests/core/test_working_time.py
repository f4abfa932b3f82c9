"""Working time: weekends, Vietnamese public holidays (holidays.VN), a department's swap days and days off,
and office hours."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from core.working_time import (
    WorkingCalendar,
    add_working_days,
    is_working_day,
    working_days_between,
    working_hours_between,
    working_time_between,
)

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


# --- a department's calendar and working hours -----------------------------------------------------------

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A department closing on Tuesday 28/4/2026 (a bridge between the observed Hùng Kings Monday and 30/4)
# and working Saturday 9/5/2026 in exchange: a decision the holidays package cannot know.
BRIDGE_2026 = WorkingCalendar(working_days=frozenset({D(2026, 5, 9)}), days_off=frozenset({D(2026, 4, 28)}))


def at(year, month, day, hour, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=VN)


def test_the_swap_days_the_holidays_package_knows_are_statutory():
    # 2025: Friday 2/5 off, worked back on Saturday 26/4.
    assert is_working_day(D(2025, 4, 26)) and not is_working_day(D(2025, 5, 2))
    # Fri 16:00 -> Mon 08:30: 1 h on Friday, the swap Saturday's 7.5 h, 1 h on Monday.
    assert working_hours_between(at(2025, 4, 25, 16), at(2025, 4, 28, 8, 30)) == 9.5
    # Tue 29/4 16:00 -> Mon 5/5 08:00: 1 h, then 30/4 and 1/5 (holidays), 2/5 (bridge day off), the weekend, 0.5 h.
    assert working_hours_between(at(2025, 4, 29, 16), at(2025, 5, 5, 8)) == 1.5


def test_a_department_swap_saturday_is_worked_and_its_bridge_day_is_not():
    assert is_working_day(D(2026, 5, 9), BRIDGE_2026) and not is_working_day(D(2026, 5, 9))
    assert not is_working_day(D(2026, 4, 28), BRIDGE_2026) and is_working_day(D(2026, 4, 28))
    assert add_working_days(D(2026, 4, 27), 1, BRIDGE_2026) == D(2026, 4, 29)
    assert add_working_days(D(2026, 4, 27), 1) == D(2026, 4, 28)
    assert add_working_days(D(2026, 5, 8), 1, BRIDGE_2026) == D(2026, 5, 9)
    assert working_days_between(D(2026, 4, 24), D(2026, 5, 8), BRIDGE_2026) == 6  # 29/4 and 4/5..8/5
    assert working_days_between(D(2026, 4, 24), D(2026, 5, 8)) == 7  # and 28/4


def test_working_hours_skip_a_department_bridge_day_off():
    # Fri 24/4 16:00 -> Wed 29/4 08:30: 1 h, the weekend, Hùng Kings observed (27/4), the bridge day (28/4), 1 h.
    assert working_hours_between(at(2026, 4, 24, 16), at(2026, 4, 29, 8, 30), BRIDGE_2026) == 2
    assert working_hours_between(at(2026, 4, 24, 16), at(2026, 4, 29, 8, 30)) == 9.5


def test_working_hours_count_a_department_swap_saturday_in_full():
    assert working_hours_between(at(2026, 5, 8, 16), at(2026, 5, 11, 8, 30), BRIDGE_2026) == 9.5
    assert working_hours_between(at(2026, 5, 8, 16), at(2026, 5, 11, 8, 30)) == 2


def test_working_hours_across_tet():
    # Tết 2027 runs from Thursday 4/2 to Wednesday 10/2: Wed 3/2 16:00 -> Thu 11/2 08:30 is 1 h + 1 h.
    assert working_hours_between(at(2027, 2, 3, 16), at(2027, 2, 11, 8, 30)) == 2


def test_working_hours_skip_a_weekend_and_the_night():
    assert working_hours_between(at(2026, 11, 13, 16), at(2026, 11, 16, 9, 30)) == 3  # Fri 16:00 -> Mon 09:30
    assert working_hours_between(at(2026, 11, 10, 17, 30), at(2026, 11, 11, 7, 0)) == 0  # evening to dawn


def test_working_hours_skip_the_lunch_break():
    assert working_hours_between(at(2026, 11, 10, 11), at(2026, 11, 10, 14)) == 1  # 11:00-11:30 and 13:30-14:00
    assert working_hours_between(at(2026, 11, 10, 12), at(2026, 11, 10, 13)) == 0
    assert working_hours_between(at(2026, 11, 10, 7), at(2026, 11, 10, 18)) == 7.5  # a whole day


def test_working_hours_follow_the_department_hours_and_read_other_offsets_in_local_time():
    eight_to_five = WorkingCalendar(
        hours=((datetime.time(8), datetime.time(12)), (datetime.time(13), datetime.time(17)))
    )
    assert working_hours_between(at(2026, 11, 10, 7, 30), at(2026, 11, 10, 13, 30), eight_to_five) == 4.5
    # 01:00 UTC is 08:00 in Hanoi.
    utc_start = datetime.datetime(2026, 11, 10, 1, 0, tzinfo=datetime.UTC)
    assert working_time_between(utc_start, at(2026, 11, 10, 9)) == datetime.timedelta(hours=1)


def test_working_time_backwards_is_negative_and_naive_datetimes_are_refused():
    assert working_hours_between(at(2026, 11, 10, 14), at(2026, 11, 10, 11)) == -1
    with pytest.raises(ValueError, match="aware"):
        naive = datetime.datetime(2026, 11, 10, 8)  # noqa: DTZ001 - what the test is about
        working_time_between(naive, at(2026, 11, 10, 9))


def test_a_calendar_refuses_contradictions():
    with pytest.raises(ValueError):
        WorkingCalendar(working_days=frozenset({D(2026, 1, 3)}), days_off=frozenset({D(2026, 1, 3)}))
    with pytest.raises(ValueError):
        WorkingCalendar(hours=((datetime.time(13), datetime.time(17)), (datetime.time(8), datetime.time(12))))
