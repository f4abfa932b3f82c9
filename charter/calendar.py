"""The department calendars as rows the fold's SQL can join (charter.WorkingDay).

core.working_time answers "how much working time between two datetimes" one pair at a time; the fold
needs it for millions of declarations, so each department's calendar is laid out once as one row per
local day carrying the working seconds before it (a running sum) and the day's sessions. The SQL then
gets a duration with two equality joins and arithmetic, with no per-row Python (charter.rollup).
The days are those of CHARTER_CALENDAR_FIRST_YEAR to next year; a timestamp outside has no row and its
declaration is not measured.
"""

import datetime
import hashlib

import holidays
from django.conf import settings
from django.db import connection

from core.clock import now
from core.working_time import LOCAL_TZ, WorkingCalendar, is_working_day
from directory.calendar import department_calendar
from directory.models import CalendarDay, Department

from .models import WorkingDay

EPOCH = datetime.date(1970, 1, 1)
# Vietnam has kept UTC+7 since 1975 without daylight saving: the SQL turns UTC into local days by adding it.
LOCAL_OFFSET_SECONDS = 7 * 3600


def day_range() -> tuple[datetime.date, datetime.date]:
    return datetime.date(settings.CHARTER_CALENDAR_FIRST_YEAR, 1, 1), datetime.date(now().year + 1, 12, 31)


def _seconds(time: datetime.time) -> int:
    return time.hour * 3600 + time.minute * 60 + time.second


def calendar_rows(department_id: int, calendar: WorkingCalendar, first: datetime.date, last: datetime.date) -> list:
    """One WorkingDay per day of [first, last] (a few thousand per department: the loop is over days)."""
    offset = datetime.datetime.combine(first, datetime.time(12), LOCAL_TZ).utcoffset()
    if offset != datetime.timedelta(seconds=LOCAL_OFFSET_SECONDS) or calendar.tz != LOCAL_TZ:
        raise ValueError("the charter's SQL assumes the calendar's fixed UTC+7 offset")
    (m_start, m_end), (a_start, a_end) = ((_seconds(s), _seconds(e)) for s, e in calendar.hours)
    rows = []
    before = 0
    day = first
    while day <= last:
        working = is_working_day(day, calendar)
        sessions = (m_start, m_end, a_start, a_end) if working else (0, 0, 0, 0)
        rows.append(
            WorkingDay(
                department_id=department_id,
                day=(day - EPOCH).days,
                before_seconds=before,
                morning_start=sessions[0],
                morning_end=sessions[1],
                afternoon_start=sessions[2],
                afternoon_end=sessions[3],
            )
        )
        if working:
            before += (m_end - m_start) + (a_end - a_start)
        day += datetime.timedelta(days=1)
    return rows


def fingerprint() -> str:
    """Changes whenever a department's hours or exceptional days, the day range or the statute change."""
    digest = hashlib.sha256()
    digest.update(f"{day_range()}|{holidays.__version__}".encode())
    for hours in Department.objects.order_by("pk").values_list(
        "pk", "morning_starts", "morning_ends", "afternoon_starts", "afternoon_ends"
    ):
        digest.update(repr(hours).encode())
    for day in CalendarDay.objects.order_by("department_id", "date").values_list("department_id", "date", "kind"):
        digest.update(repr(day).encode())
    return digest.hexdigest()


def refresh_working_days() -> None:
    """Lay out every department's calendar again (inside the caller's transaction)."""
    first, last = day_range()
    rows = []
    for department_id in Department.objects.values_list("pk", flat=True):
        rows.extend(calendar_rows(department_id, department_calendar(department_id), first, last))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {WorkingDay._meta.db_table}")
    WorkingDay.objects.bulk_create(rows, batch_size=5000)
