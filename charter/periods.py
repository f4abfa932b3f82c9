"""The periods charter figures are asked about: a year ("2025") or a month ("2025-03"), local months of clearance."""

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

FIRST_YEAR = 2000
LAST_YEAR = 2100


@dataclass(frozen=True)
class CharterPeriod:
    """Whole local months `first` to `last` (first days of their months), and how it was written."""

    first: datetime.date
    last: datetime.date
    code: str

    @classmethod
    def year(cls, year: int) -> "CharterPeriod":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 1), str(year))

    @classmethod
    def parse(cls, text: str) -> "CharterPeriod":
        """ValueError (a message for the person) unless `text` is YYYY or YYYY-MM within 2000-2100."""
        text = (text or "").strip()
        match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text, re.ASCII)
        if not match:
            raise ValueError(_("Give a year (YYYY) or a month (YYYY-MM)."))
        year = int(match[1])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                _("A period lies between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if match[2] is None:
            return cls.year(year)
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(_("A month is between 01 and 12."))
        day = datetime.date(year, month, 1)
        return cls(day, day, text)
