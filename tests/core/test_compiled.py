"""core.compiled: a queryset compiled once with stand-ins answers like the queryset built each time."""

import pytest

from core.compiled import CompiledQuery
from feedback.models import Declaration
from feedback.ratings.services import load_rating_target

STAND_IN = -2_000_000_099


def by_business(business_id):
    return Declaration.objects.filter(business_id=business_id).order_by("number").values_list("number", "cleared_at")


def test_rows_with_real_values_equal_the_querysets_rows(cast):
    compiled = CompiledQuery.of(by_business(STAND_IN), STAND_IN)

    for business in (cast.business_x, cast.business_y):
        assert compiled.rows({STAND_IN: business.pk}) == list(by_business(business.pk))
    # dates come back converted, as the queryset gives them (SQLite hands text to a raw cursor)
    assert compiled.rows({STAND_IN: cast.business_x.pk})[0][1] == cast.dx.cleared_at
    assert compiled.rows({STAND_IN: -1}) == []


def test_a_stand_in_must_appear_exactly_once():
    twice = Declaration.objects.filter(business_id=STAND_IN, branch_id=STAND_IN).values_list("pk")
    with pytest.raises(ValueError, match="appears 2 times"):
        CompiledQuery.of(twice, STAND_IN)
    with pytest.raises(ValueError, match="appears 0 times"):
        CompiledQuery.of(by_business(1), STAND_IN)


@pytest.mark.parametrize(("username", "visible"), [("business", {"dx"}), ("broker", {"dx", "dy"}), ("rival", {"dy"})])
def test_a_business_users_compiled_target_is_the_scoped_one(cast, username, visible):
    user = getattr(cast.users, username)
    for name in ("dx", "dy"):
        declaration = getattr(cast, name)
        if name not in visible:
            with pytest.raises(Declaration.DoesNotExist):
                load_rating_target(user, declaration.number)
            continue
        target = load_rating_target(user, declaration.number)
        assert (target.declaration.pk, target.declaration.cleared_at, target.rated) == (
            declaration.pk,
            declaration.cleared_at,
            False,
        )
        assert sorted(target.links) == sorted(
            link.officer.code.upper() for link in declaration.officer_links.select_related("officer")
        )
