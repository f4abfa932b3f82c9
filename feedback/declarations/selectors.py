"""Reads of declarations, scoped to the user; shared by pages and API."""

from django.db.models import Prefetch

from ..models import Declaration, DeclarationOfficer, RatingOfficer


def declarations_for(user):
    """Declarations `user` may see, with what list and detail pages show, in a fixed number of queries."""
    return with_shown_relations(Declaration.objects.for_user(user))


def with_shown_relations(queryset):
    """`queryset` joined to what the declaration pages show: business, units, rating and officers.

    The list reads its page's rows with this from ids its scoped query chose: fetched by primary key
    alone, without the scope's joins (which led PostgreSQL to read a busy business's every row to find
    25 ids)."""
    return queryset.select_related("business", "branch", "team", "rating").prefetch_related(
        Prefetch("officer_links", queryset=DeclarationOfficer.objects.select_related("officer").order_by("id")),
        Prefetch("rating__officer_ratings", queryset=RatingOfficer.objects.select_related("officer").order_by("id")),
    )
