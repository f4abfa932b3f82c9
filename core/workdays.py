"""Working-day arithmetic for case deadlines: weekends and Vietnamese public holidays are not counted.

Pure dates, no Django: callers convert datetimes to the local date (Asia/Ho_Chi_Minh) first. The
holidays come from the `holidays` package (Tết, Hùng Kings, 30/4, 1/5, 2/9, its observed and
substituted days off); a deployment that needs an extra day off adds it to EXTRA_DAYS_OFF.
"""

import datetime
from functools import lru_cache

import holidays

COUNTRY = "VN"
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
# Days off decided after the package was released (a one-off government decision), if any.
EXTRA_DAYS_OFF: frozenset[datetime.date] = frozenset()


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays(COUNTRY, years=year)) | {
        day for day in EXTRA_DAYS_OFF if day.year == year
    }


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() not in WEEKEND and day not in _days_off(day.year)


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `start` (`start` itself never counts; 0 gives `start`)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end`: 0 on the same day, negative if `end` is earlier.

    The inverse of add_working_days: working_days_between(d, add_working_days(d, n)) == n.
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
