"""An officer's recent comments are found by walking their rating rows newest first in batches: the
result is the plain query's, whether the comments sit in the first batch or far down."""

import random

from feedback.models import Rating, RatingOfficer
from reports.comments import recent_comments
from reports.measures import Period
from reports.models import UnitKind
from tests.reports.support import add_declarations, add_ratings


def plain_query(officer_id: int, period: Period, limit: int) -> list:
    """The officer's comments as one query would read them (the oracle)."""
    start, end = period.local_bounds()
    return list(
        RatingOfficer.objects.filter(
            officer_id=officer_id,
            rating__created_at__gte=start,
            rating__declaration__cleared_at__gte=start,
            rating__declaration__cleared_at__lt=end,
        )
        .exclude(rating__comment="")
        .order_by("-rating_id")
        .values_list("rating__created_at", "rating__declaration__number", "level", "rating__comment")[:limit]
    )


def test_officer_comments_far_down_the_walk_are_found(cast):
    # given 700 ratings of OA1 of which only the 5 oldest carry a comment (found in the third batch)
    rng = random.Random(3)
    units = [(cast.branch_a, cast.team_a1, [cast.officers.oa1])]
    declarations = add_declarations(cast, 700, rng, businesses=[cast.business_x], units=units)
    ratings = sorted(add_ratings(cast, declarations, rng), key=lambda rating: rating.pk)
    for rating in ratings[:5]:
        Rating.objects.filter(pk=rating.pk).update(comment=f"Góp ý {rating.pk}")
    period = Period.parse("2025-01..2025-12")

    # when the officer's newest 20 comments are listed
    found = recent_comments(UnitKind.OFFICER, cast.officers.oa1.pk, period, None, 20)

    # then they are the five, newest first, as the plain query gives them
    assert len(found) == 5
    assert found == plain_query(cast.officers.oa1.pk, period, 20)


def test_officer_comments_stop_at_the_limit(cast):
    rng = random.Random(4)
    units = [(cast.branch_a, cast.team_a1, [cast.officers.oa1])]
    ratings = add_ratings(cast, add_declarations(cast, 300, rng, businesses=[cast.business_x], units=units), rng)
    Rating.objects.filter(pk__in=[rating.pk for rating in ratings]).update(comment="Chậm")
    period = Period.parse("2025-01..2025-12")
    found = recent_comments(UnitKind.OFFICER, cast.officers.oa1.pk, period, None, 20)
    assert found == plain_query(cast.officers.oa1.pk, period, 20)
    assert len(found) == 20
