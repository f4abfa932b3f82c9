"""Reads of declarations, scoped to the user; shared by pages and API."""

from django.db.models import Prefetch

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
