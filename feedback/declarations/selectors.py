"""Reads of declarations, scoped to the user; shared by pages and API."""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from ..models import Declaration, DeclarationOfficer, RatingOfficer


def declarations_for(user):
    """Declarations `user` may see, with what list and detail pages show, in a fixed number of queries."""
    return (
        Declaration.objects.for_user(user)
        .select_related("business", "branch", "team", "rating")
        .prefetch_related(
            Prefetch("officer_links", queryset=DeclarationOfficer.objects.select_related("officer").order_by("id")),
            Prefetch(
                "rating__officer_ratings", queryset=RatingOfficer.objects.select_related("officer").order_by("id")
            ),
        )
    )


def open_for_rating(queryset, *, now: datetime.datetime | None = None):
    """The declarations of `queryset` that can still be rated: cleared, unrated, inside the rating window."""
    now = now or timezone.now()
    window_opened = now - datetime.timedelta(days=settings.RATING_WINDOW_DAYS)
    return queryset.filter(cleared_at__gt=window_opened, cleared_at__lte=now, rating__isnull=True)
