"""The charter's written-reply commitment, measured on the inquiries businesses send (inquiries app).

Each question and each follow-up is one InquiryExchange: one written reply owed within the department's
commitment (`due_at` on its calendar). An exchange counts in the local month it was asked, once it is
settled either way: answered (within or not, `answered_on_time`), or still unanswered past its due date
(late). Exchanges still within their time are not counted yet.

Unlike declarations these are read live: a department receives hundreds of written inquiries a year
(Quảng Ninh: 130 problems in 2022), so one grouped query per page costs less than a rollup would.
Durations are whole working days (`answer_working_days`); the quantiles are nearest-rank over the days
grouped in the database, an unanswered late exchange ranking beyond every answered one.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from core import clock
from core.working_time import LOCAL_TZ
from inquiries.models import InquiryExchange

from .choices import Level
from .periods import CharterPeriod

# Beyond every answered exchange: the rank an unanswered late one takes in the quantiles.
UNANSWERED = None


@dataclass(frozen=True)
class ReplyFigure:
    measured: int
    within: int
    median_days: int | None  # None: nothing measured, or the quantile falls on unanswered late exchanges
    p90_days: int | None
    unanswered_late: int


def _bounds(period: CharterPeriod) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(period.first, datetime.time.min, tzinfo=LOCAL_TZ)
    after = period.last.replace(day=28) + datetime.timedelta(days=4)
    return start, datetime.datetime.combine(after.replace(day=1), datetime.time.min, tzinfo=LOCAL_TZ)


def _nearest_rank(days: dict, total: int, share: float) -> int | None:
    """The smallest value whose running count reaches `share` of `total` (answered days first, in order)."""
    running = 0
    for value in sorted(day for day in days if day is not UNANSWERED):
        running += days[value]
        if running >= share * total:
            return value
    return None


def reply_figures(level: int, unit_ids: list[int], department_id: int, period: CharterPeriod) -> dict[int, ReplyFigure]:
    """Reply figures per unit id: the department (all its inquiries, the branches' too) or its branches
    (the inquiries routed to them). Teams have none: replies are owed by the branch, not a team."""
    if level == Level.TEAM or not unit_ids:
        return {}
    start, end = _bounds(period)
    settled = Q(answered_at__isnull=False) | Q(due_at__lt=clock.now())
    exchanges = InquiryExchange.objects.filter(settled, inquiry__department_id=department_id)
    exchanges = exchanges.filter(asked_at__gte=start, asked_at__lt=end)
    unit = "inquiry__department_id" if level == Level.DEPARTMENT else "inquiry__branch_id"
    rows = (
        exchanges.filter(**{f"{unit}__in": unit_ids})
        .values_list(unit, "answer_working_days", "answered_on_time")
        .annotate(n=Count("id"))
        .order_by()
    )
    days: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    within: dict[int, int] = defaultdict(int)
    for unit_id, working_days, on_time, count in rows:
        days[unit_id][working_days] += count
        within[unit_id] += count if on_time else 0
    figures = {}
    for unit_id, histogram in days.items():
        total = sum(histogram.values())
        figures[unit_id] = ReplyFigure(
            measured=total,
            within=within[unit_id],
            median_days=_nearest_rank(histogram, total, 0.5),
            p90_days=_nearest_rank(histogram, total, 0.9),
            unanswered_late=histogram.get(UNANSWERED, 0),
        )
    return figures
