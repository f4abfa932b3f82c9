"""The rating window, written once: a declaration can be rated from its clearance until RATING_WINDOW_DAYS
days after it, by the services' clock (core.clock).

The rating page, the rating service (web and API), the "to rate" lists and counts, and the daily
reminders all ask here, so they can never disagree about a declaration, nor word the refusal twice.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import clock
from core.paging import capped_count

from ..models import Rating


def window_length() -> datetime.timedelta:
    return datetime.timedelta(days=settings.RATING_WINDOW_DAYS)


@dataclass(frozen=True)
class RatingWindow:
    """Whether a declaration can be rated at `now`, and until when (None while it is not cleared)."""

    closes_at: datetime.datetime | None
    is_open: bool
    # Cleared in the future (a clearance time announced ahead, or a clock ahead): not rateable until then.
    not_yet_cleared: bool = False

    def refusal(self) -> str:
        """Why the declaration cannot be rated now, in the active language (only when the window is not open)."""
        if self.closes_at is None or self.not_yet_cleared:
            return _("This declaration has not been cleared yet; it can be rated once it is cleared.")
        closed_on = formats.date_format(timezone.localtime(self.closes_at), "SHORT_DATE_FORMAT")
        return _("The rating window of this declaration closed on %(date)s; it can no longer be rated.") % {
            "date": closed_on
        }


def rating_window(declaration, *, now: datetime.datetime | None = None) -> RatingWindow:
    """The window of `declaration` as it stands at `now` (the services' clock by default)."""
    if declaration.cleared_at is None:
        return RatingWindow(None, False)
    now = now or clock.now()
    closes_at = declaration.cleared_at + window_length()
    if declaration.cleared_at > now:
        return RatingWindow(closes_at, False, not_yet_cleared=True)
    return RatingWindow(closes_at, now <= closes_at)


def open_for_rating_q(now: datetime.datetime, *, prefix: str = "") -> Q:
    """The declarations that can still be rated at `now`, as a filter on a declaration reached by `prefix`.

    The same boundary as `rating_window` (open while now <= cleared_at + window); a clearance time after
    `now` is left out of the lists, as a declaration not cleared yet.
    """
    return Q(
        **{
            f"{prefix}cleared_at__gte": now - window_length(),
            f"{prefix}cleared_at__lte": now,
            f"{prefix}rating__isnull": True,
        }
    )


def open_for_rating(queryset, *, now: datetime.datetime | None = None):
    """The declarations of `queryset` that can still be rated at `now`: cleared, unrated, inside the window.

    "Unrated" is a NOT EXISTS on the rating's unique declaration index, answered from the index alone;
    the LEFT JOIN that `rating__isnull` makes read each rating row (a broker's 28,000 declarations of the
    month: 63 ms, most of it those reads)."""
    now = now or clock.now()
    rated = Rating.objects.filter(declaration_id=OuterRef("pk"))
    return queryset.filter(cleared_at__gte=now - window_length(), cleared_at__lte=now).exclude(Exists(rated))


# Counts of declarations to rate stop here ("more than"): a broker's month runs to tens of thousands (28,000 at
# ten million ratings), and counting them all was most of their home page; the "to rate" list pages through all.
PENDING_COUNT_CAP = 1000


def count_to_rate(declarations, *, now: datetime.datetime | None = None) -> tuple[int, bool]:
    """How many of `declarations` can still be rated, up to PENDING_COUNT_CAP, and whether there are more."""
    return as_pending(capped_count(open_for_rating(declarations, now=now), PENDING_COUNT_CAP))


def as_pending(count: int) -> tuple[int, bool]:
    """A count of declarations to rate as shown: (up to PENDING_COUNT_CAP, whether there are more)."""
    return min(count, PENDING_COUNT_CAP), count > PENDING_COUNT_CAP
