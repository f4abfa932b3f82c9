"""Periods of whole local months: what every dashboard, export and rollup query is asked about."""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

# The periods people may ask for (Period.parse): the portal's records start in 2000.
FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_MONTHS = 120


def _first_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A run of whole local months, `first` to `last` inclusive (both the first day of their month)."""

    first: datetime.date
    last: datetime.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1 or self.last < self.first:
            raise ValueError(_("A period runs from the first day of one month to that of the same or a later month."))

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        day = datetime.date(year, month, 1)
        return cls(day, day)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = datetime.date(year, 3 * (quarter - 1) + 1, 1)
        return cls(first, _add_months(first, 2))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 1))

    @classmethod
    def months(cls, first: datetime.date, last: datetime.date) -> "Period":
        return cls(_first_of(first), _first_of(last))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """ "2025-03", "2025-Q2", "2025", or "2025-01..2025-06" (for URLs); ValueError otherwise.

        What people ask for through URLs is bounded: years FIRST_YEAR to LAST_YEAR, at most MAX_MONTHS
        months, the first month not after the last (a period of year 1 or of 5,000 years took seconds)."""
        period = cls._parse((text or "").strip())
        if not (period.first.year >= FIRST_YEAR and period.last.year <= LAST_YEAR):
            raise ValueError(
                _("A period lies between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if period.month_count > MAX_MONTHS:
            raise ValueError(_("A period spans at most %(years)s years.") % {"years": MAX_MONTHS // 12})
        return period

    @classmethod
    def _parse(cls, text: str) -> "Period":
        if ".." in text:
            start, end = (cls._parse(part.strip()) for part in text.split("..", 1))
            if end.last < start.first:
                raise ValueError(_("The last month comes before the first one."))
            return cls(start.first, end.last)
        try:
            # re.ASCII: \d would also match '²' and Arabic-Indic digits.
            if match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text, re.ASCII):
                return cls.quarter(int(match[1]), int(match[2]))
            if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text, re.ASCII):
                return cls.month(int(match[1]), int(match[2]))
            if re.fullmatch(r"\d{4}", text, re.ASCII):
                return cls.year(int(text))
        except ValueError:
            pass
        raise ValueError(_("Unknown period %(text)s: use 2025-03, 2025-Q2, 2025 or 2025-01..2025-06.") % {"text": text})

    @property
    def month_count(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    @property
    def last_day(self) -> datetime.date:
        return self.last.replace(day=calendar.monthrange(self.last.year, self.last.month)[1])

    def month_starts(self) -> list[datetime.date]:
        return [_add_months(self.first, offset) for offset in range(self.month_count)]

    def previous(self) -> "Period":
        """The period of the same length just before (for "change on the previous period")."""
        return Period(_add_months(self.first, -self.month_count), _add_months(self.first, -1))

    def local_bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) of the period as aware datetimes: midnight local time (TIME_ZONE) on its first
        day and on the first day after it, for filtering timestamps by local month."""
        tz = timezone.get_default_timezone()
        start = datetime.datetime.combine(self.first, datetime.time.min, tzinfo=tz)
        return start, datetime.datetime.combine(_add_months(self.last, 1), datetime.time.min, tzinfo=tz)
