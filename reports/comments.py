"""The recent comments a dashboard shows about one unit (branch, team or officer).

Unlike the figures (reports.measures), comments are read from the ratings themselves, a bounded page
of the newest ones. Scoping is the caller's: the dashboards call this only for a unit that
`visible_units` let them show.
"""

import datetime
from contextlib import contextmanager

from django.db import connection, transaction

from feedback.models import Rating, RatingOfficer

from .measures import Period
from .models import UnitKind


def recent_comments(
    kind: UnitKind, unit_id: int, period: Period, channel: str | None, limit: int
) -> list[tuple[datetime.datetime, str, int | None, str]]:
    """The newest `limit` non-empty comments about a unit over `period`, optionally on one channel.

    Rows are (rated at, declaration number, level given to that unit, comment), as the dashboards'
    comments table takes them: no business identity. Like the figures, the period is that of the
    declaration's clearance in local time (Period.local_bounds), and the units are the
    rating's own snapshot (Rating.branch, Rating.team, RatingOfficer.officer). Newest rating first.

    - branch: with the branch level;
    - team: with the team level (None when the business left the team unrated);
    - officer: ratings in which the officer was rated, with the officer's own level.

    Each query walks an index newest first and stops at `limit` (at ten million ratings a sort of a
    unit's ratings would cost a second): Rating's partial comment indexes for branches and teams,
    RatingOfficer's (officer, rating) index for officers, whose ratings' ids grow with time. A rating
    is never older than its declaration's clearance, so `created_at >= start` bounds the walk too.
    """
    start, end = period.local_bounds()
    kind = UnitKind(kind)
    if kind == UnitKind.OFFICER:
        with _serial():
            return _officer_comments(unit_id, start, end, channel, limit)
    if kind == UnitKind.BRANCH:
        ratings, level = Rating.objects.filter(branch_id=unit_id), "branch_level"
    elif kind == UnitKind.TEAM:
        ratings, level = Rating.objects.filter(team_id=unit_id), "team_level"
    else:
        raise ValueError(f"no comments are listed for units of kind {kind!r}")
    ratings = ratings.exclude(comment="").filter(
        created_at__gte=start, declaration__cleared_at__gte=start, declaration__cleared_at__lt=end
    )
    if channel:
        ratings = ratings.filter(declaration__channel=channel)
    rows = ratings.order_by("-created_at", "-pk").values_list("created_at", "declaration__number", level, "comment")
    with _serial():
        return list(rows[:limit])


def _officer_comments(unit_id: int, start, end, channel: str | None, limit: int) -> list:
    """An officer's newest comments, walking their rating rows newest first in growing batches.

    Given the whole query, PostgreSQL reads every rating row of the officer (a bitmap scan, then a sort):
    2,300 rows at a million ratings, ten times more at ten million, for twenty comments. The walk reads
    the (officer, rating) index newest first, 250 rows, then 1,000, then 4,000..., and looks among each
    batch's ratings for comments in the period; it stops at `limit` comments or once a batch reaches
    ratings created before the period (ratings' ids grow with time). About one comment in sixteen
    ratings: usually one or two batches, whatever the scale."""
    found: list = []
    below = None
    size = 250
    while len(found) < limit:
        walk = RatingOfficer.objects.filter(officer_id=unit_id)
        if below is not None:
            walk = walk.filter(rating_id__lt=below)
        batch = list(walk.order_by("-rating_id").values_list("rating_id", flat=True)[:size])
        if not batch:
            break
        rows = RatingOfficer.objects.filter(
            officer_id=unit_id,
            rating_id__in=batch,
            rating__created_at__gte=start,
            rating__declaration__cleared_at__gte=start,
            rating__declaration__cleared_at__lt=end,
        ).exclude(rating__comment="")
        if channel:
            rows = rows.filter(rating__declaration__channel=channel)
        found += rows.order_by("-rating_id").values_list(
            "rating__created_at", "rating__declaration__number", "level", "rating__comment"
        )[: limit - len(found)]
        below = batch[-1]
        if len(found) >= limit or len(batch) < size:
            break
        if Rating.objects.filter(pk=below, created_at__lt=start).exists():
            break
        size *= 4
    return found


@contextmanager
def _serial():
    """No parallel workers for these short index walks. PostgreSQL costs a parallel walk of a busy
    officer's ratings as cheaper, but starting the workers took 50-80 ms at ten million ratings, for
    twenty rows a serial walk finds in a few milliseconds."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
