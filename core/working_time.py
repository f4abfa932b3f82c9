"""Working time in Vietnam: working days and working hours, from one calendar, for every deadline.

Weekends and Vietnamese public holidays (Tết, Hùng Kings, 30/4, 1/5, 2/9 and the observed days the
`holidays` package knows) are not worked. Each year the government also moves days (ngày làm bù: a
Saturday is worked in exchange for a bridge day off); the package knows those decided before its
release, not those announced after it, nor a department's own closures: a department keeps these as
exceptions (directory.CalendarDay) and passes them here as a WorkingCalendar.
Case deadlines and charter timings both reckon through this module.

Pure: no Django, no database. Datetimes must be aware; they are read in the calendar's time zone
(Asia/Ho_Chi_Minh).
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

COUNTRY = "VN"
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Office hours of Vietnamese state bodies: a morning and an afternoon session around the lunch break.
DEFAULT_HOURS: tuple[tuple[datetime.time, datetime.time], ...] = (
    (datetime.time(7, 30), datetime.time(11, 30)),
    (datetime.time(13, 30), datetime.time(17, 0)),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """The statutory calendar plus one department's exceptions and office hours.

    `working_days`: days worked although the statute says otherwise (a swap Saturday).
    `days_off`: days not worked although the statute says otherwise (the bridge day, a local closure).
    `hours`: the sessions of a working day, in order and not overlapping.
    """

    working_days: frozenset[datetime.date] = frozenset()
    days_off: frozenset[datetime.date] = frozenset()
    hours: tuple[tuple[datetime.time, datetime.time], ...] = DEFAULT_HOURS
    tz: ZoneInfo = LOCAL_TZ

    def __post_init__(self) -> None:
        if self.working_days & self.days_off:
            raise ValueError("a day cannot be both a working day and a day off")
        previous_end = datetime.time.min
        for start, end in self.hours:
            if not previous_end <= start < end:
                raise ValueError("working hours must be ordered, non-empty, non-overlapping sessions")
            previous_end = end


STATUTORY = WorkingCalendar()


@lru_cache(maxsize=64)
def _statute(year: int) -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    """The public holidays of `year` (with their observed and bridge days off) and the weekend days the
    government moved to work in exchange, as far as the installed `holidays` package knows them."""
    calendar = holidays.country_holidays(COUNTRY, years=year)
    worked = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return frozenset(calendar), worked


def public_holidays(year: int) -> frozenset[datetime.date]:
    return _statute(year)[0]


def is_working_day(day: datetime.date, calendar: WorkingCalendar = STATUTORY) -> bool:
    """The department's exceptions first, then weekends and public holidays."""
    if day in calendar.working_days:
        return True
    if day in calendar.days_off:
        return False
    days_off, weekend_workdays = _statute(day.year)
    if day in weekend_workdays:
        return True
    return day.weekday() not in WEEKEND and day not in days_off


def add_working_days(start: datetime.date, count: int, calendar: WorkingCalendar = STATUTORY) -> datetime.date:
    """The `count`-th working day after `start` (`start` itself never counts; 0 gives `start`)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day, calendar):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date, calendar: WorkingCalendar = STATUTORY) -> int:
    """Working days after `start` up to and including `end`: 0 on the same day, negative if `end` is earlier.

    The inverse of add_working_days: working_days_between(d, add_working_days(d, n, c), c) == n.
    """
    if end < start:
        return -working_days_between(end, start, calendar)
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
    return count


def working_time_between(
    start: datetime.datetime, end: datetime.datetime, calendar: WorkingCalendar = STATUTORY
) -> datetime.timedelta:
    """The working hours between two aware datetimes: the parts of [start, end] inside the sessions of
    working days (a lunch break, a night, a weekend or a holiday adds nothing). Negative if `end` is earlier."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("datetimes must be aware")
    if end < start:
        return -working_time_between(end, start, calendar)
    local_start = start.astimezone(calendar.tz)
    local_end = end.astimezone(calendar.tz)
    total = datetime.timedelta()
    day = local_start.date()
    while day <= local_end.date():
        if is_working_day(day, calendar):
            for session_start, session_end in calendar.hours:
                opens = datetime.datetime.combine(day, session_start, calendar.tz)
                closes = datetime.datetime.combine(day, session_end, calendar.tz)
                overlap = min(closes, local_end) - max(opens, local_start)
                if overlap > datetime.timedelta():
                    total += overlap
        day += datetime.timedelta(days=1)
    return total


def working_hours_between(
    start: datetime.datetime, end: datetime.datetime, calendar: WorkingCalendar = STATUTORY
) -> float:
    """working_time_between in hours (the unit of the charter's document check and inspection timings)."""
    return working_time_between(start, end, calendar) / datetime.timedelta(hours=1)
