"""A department's working calendar for core.working_time: its office hours and its days that depart from
the statute (swap days worked, days off), read from the database once per call."""

import datetime

from core.working_time import STATUTORY, WorkingCalendar

from .choices import CalendarDayKind
from .models import CalendarDay, Department


def department_calendar(department_id: int | None) -> WorkingCalendar:
    """The calendar of one department; the statutory one (default office hours) for no or an unknown department."""
    if department_id is None:
        return STATUTORY
    hours = (
        Department.objects.filter(pk=department_id)
        .values_list("morning_starts", "morning_ends", "afternoon_starts", "afternoon_ends")
        .first()
    )
    if hours is None:
        return STATUTORY
    working_days: set[datetime.date] = set()
    days_off: set[datetime.date] = set()
    for day, kind in CalendarDay.objects.filter(department_id=department_id).values_list("date", "kind"):
        (working_days if kind == CalendarDayKind.WORKING_DAY else days_off).add(day)
    return WorkingCalendar(
        working_days=frozenset(working_days),
        days_off=frozenset(days_off),
        hours=((hours[0], hours[1]), (hours[2], hours[3])),
    )
