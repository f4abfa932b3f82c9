"""The fold and the rebuild: same rows, corrections and late clearances included, safe to run twice or at once."""

import datetime
import random
import threading
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from directory.models import Business
from directory.taxcode import make_tax_codes
from feedback.models import Declaration, Rating
from feedback.ratings.services import correct_rating
from reports.measures.figures import _presence
from reports.measures.periods import Period
from reports.models import BusinessPresence, PendingClearance, PresenceCount, RatingRollup, UnitKind
from reports.presence_counts import RUNS, run_mask
from reports.rollups import fold_rollups, rebuild_rollups
from tests.reports.support import add_declarations, add_ratings, rollup_rows, units_of

HCM = datetime.timezone(datetime.timedelta(hours=7))


def local_month(moment):
    return moment.astimezone(HCM).date().replace(day=1)


def other_level(level: int) -> int:
    return 1 if level == 5 else 5


def expected_branch_rows():
    """Branch x month x channel level counts computed in Python from the ratings (the test's oracle)."""
    counts = defaultdict(Counter)
    for rating in Rating.objects.select_related("declaration"):
        key = (rating.branch_id, local_month(rating.declaration.cleared_at), rating.declaration.channel)
        counts[key][rating.branch_level] += 1
    return {key: [counter[level] for level in range(1, 6)] for key, counter in counts.items()}


def branch_rows():
    return {
        (row.unit_id, row.month, row.channel): [row.level_1, row.level_2, row.level_3, row.level_4, row.level_5]
        for row in RatingRollup.objects.filter(unit_kind=UnitKind.BRANCH)
        if row.rated
    }


def test_incremental_folds_and_rebuild_give_identical_rows(cast, settings):
    # given ratings arriving in batches, late clearances and corrections between folds
    rng = random.Random(5)
    businesses = [cast.business_x, cast.business_y]
    first = add_declarations(cast, 120, rng, businesses=businesses, uncleared_share=0.2)
    first_ratings = add_ratings(cast, first, rng, share=0.7)
    assert fold_rollups(lag_seconds=0).ratings_to == max(r.pk for r in first_ratings)
    assert PendingClearance.objects.count() == Declaration.objects.filter(cleared_at__isnull=True).count()

    for rating in first_ratings[:4]:
        correct_rating(rating, actor=cast.users.admin, reason="typo", branch_level=other_level(rating.branch_level))
    officer_rated = next(r for r in first_ratings if r.officer_ratings.exists())
    row = officer_rated.officer_ratings.select_related("officer").first()
    correct_rating(
        officer_rated, actor=cast.users.admin, reason="typo", officer_levels={row.officer.code: other_level(row.level)}
    )
    second = add_declarations(cast, 150, rng, businesses=businesses, uncleared_share=0.1)
    second_ratings = add_ratings(cast, second, rng, share=0.6)
    # a correction of a rating not folded yet must not be counted twice
    correct_rating(
        second_ratings[0],
        actor=cast.users.admin,
        reason="typo",
        branch_level=other_level(second_ratings[0].branch_level),
    )
    fold_rollups(lag_seconds=0)

    # late clearances of pending declarations, rated at once, and one more batch
    late = [d for d in first + second if d.cleared_at is None][:10]
    for declaration in late:
        declaration.cleared_at = declaration.registered_at + datetime.timedelta(days=2)
        Declaration.objects.filter(pk=declaration.pk).update(cleared_at=declaration.cleared_at)
    add_ratings(cast, late, rng, share=0.5)
    third = add_declarations(cast, 80, rng, businesses=businesses)
    add_ratings(cast, third, rng, share=0.9)
    fold_rollups(lag_seconds=0)
    incremental = rollup_rows()

    # when folding again, then rebuilding from scratch
    again = fold_rollups(lag_seconds=0)
    assert not again.folded_anything
    assert rollup_rows() == incremental
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0  # the declarations were created a moment ago
    call_command("rebuild_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # then the rows are the same, and right
    assert rollup_rows() == incremental
    assert branch_rows() == expected_branch_rows()
    # presence rows hold a bit per month: count (unit, month, business) triples, as the rows once were
    assert len(incremental[0]) > 50 and sum(bin(row[4]).count("1") for row in incremental[1]) > 20


def test_a_correction_after_the_fold_moves_one_count(cast):
    rng = random.Random(1)
    declarations = add_declarations(cast, 10, rng, businesses=[cast.business_x])
    ratings = add_ratings(cast, declarations, rng)
    fold_rollups(lag_seconds=0)
    rating = next(r for r in ratings if r.branch_level != 5)
    key = {
        "unit_kind": UnitKind.BRANCH,
        "unit_id": rating.branch_id,
        "channel": rating.declaration.channel,
        "month": local_month(rating.declaration.cleared_at),
    }
    before = RatingRollup.objects.get(**key)
    department_before = RatingRollup.objects.get(
        **(key | {"unit_kind": UnitKind.DEPARTMENT, "unit_id": cast.department.pk})
    )

    correct_rating(rating, actor=cast.users.admin, reason="chose the wrong level", branch_level=5)
    result = fold_rollups(lag_seconds=0)

    after = RatingRollup.objects.get(**key)
    old = f"level_{rating.branch_level}"
    assert result.corrections_applied == 1
    assert getattr(after, old) == getattr(before, old) - 1
    assert after.level_5 == before.level_5 + 1
    assert after.rated == before.rated
    department_after = RatingRollup.objects.get(
        **(key | {"unit_kind": UnitKind.DEPARTMENT, "unit_id": cast.department.pk})
    )
    assert department_after.level_5 == department_before.level_5 + 1
    # and a second fold replays nothing
    assert fold_rollups(lag_seconds=0).corrections_applied == 0
    assert RatingRollup.objects.get(**key).level_5 == after.level_5


def test_ratings_inside_the_safety_lag_wait(cast):
    rng = random.Random(2)
    declarations = add_declarations(cast, 5, rng, businesses=[cast.business_x])
    add_ratings(cast, declarations, rng, created_at=timezone.now())
    result = fold_rollups(lag_seconds=120)
    assert result.ratings_to == result.ratings_from == 0
    assert not RatingRollup.objects.filter(rated__gt=0).exists()
    assert fold_rollups(lag_seconds=0).ratings_to == Rating.objects.order_by("-pk").first().pk


@pytest.mark.django_db(transaction=True)
def test_two_folds_at_once_add_nothing_more(cast):
    # given 1,500 declarations with ratings, not folded yet
    rng = random.Random(3)
    declarations = add_declarations(cast, 1500, rng, businesses=[cast.business_x, cast.business_y])
    add_ratings(cast, declarations, rng, share=0.8)

    # when two workers fold at the same moment
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(fold_rollups(lag_seconds=0))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one folded and the other skipped or found nothing new: the rows are those of a rebuild
    assert not errors, errors
    assert sum(result.ratings_to > result.ratings_from for result in results) == 1, results
    folded = rollup_rows()
    rebuild_rollups(lag_seconds=0)
    assert rollup_rows() == folded
    assert branch_rows() == expected_branch_rows()


def expected_team_rows():
    """Team x month x channel counts of team levels, from the ratings themselves (the oracle)."""
    counts = defaultdict(Counter)
    ratings = Rating.objects.select_related("declaration").filter(team_id__isnull=False, team_level__isnull=False)
    for rating in ratings:
        key = (rating.team_id, local_month(rating.declaration.cleared_at), rating.declaration.channel)
        counts[key][rating.team_level] += 1
    return {key: [counter[level] for level in range(1, 6)] for key, counter in counts.items()}


def team_rows():
    rows = {
        (row.unit_id, row.month, row.channel): [row.level_1, row.level_2, row.level_3, row.level_4, row.level_5]
        for row in RatingRollup.objects.filter(unit_kind=UnitKind.TEAM)
    }
    return {key: levels for key, levels in rows.items() if any(levels)}


def test_fold_equals_rebuild_with_team_level_corrections(cast, settings):
    """Team-level corrections (of folded ratings, of one not folded yet, from no team level to one) move the
    team counts in the fold exactly as a rebuild counts them."""
    rng = random.Random(13)
    businesses = [cast.business_x, cast.business_y]
    ratings = add_ratings(cast, add_declarations(cast, 100, rng, businesses=businesses), rng, share=0.8)
    fold_rollups(lag_seconds=0)
    with_team = [r for r in ratings if r.team_id is not None and r.team_level is not None]
    assert len(with_team) >= 5
    for rating in with_team[:4]:
        correct_rating(rating, actor=cast.users.admin, reason="typo", team_level=other_level(rating.team_level))
    without_level = next((r for r in ratings if r.team_id is not None and r.team_level is None), None)
    if without_level is not None:
        correct_rating(without_level, actor=cast.users.admin, reason="forgot the team", team_level=4)
    late = add_ratings(cast, add_declarations(cast, 30, rng, businesses=businesses), rng, share=1.0)
    unfolded = next(r for r in late if r.team_id is not None and r.team_level is not None)
    correct_rating(unfolded, actor=cast.users.admin, reason="typo", team_level=other_level(unfolded.team_level))

    result = fold_rollups(lag_seconds=0)

    assert result.corrections_applied >= 4
    assert team_rows() == expected_team_rows()
    folded = rollup_rows()
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0
    rebuild_rollups()
    assert rollup_rows() == folded
    assert team_rows() == expected_team_rows()


def presence_oracle():
    """Distinct businesses per (unit_kind, unit_id, year, first month, last month), counted in Python from
    the presence masks: the oracle of PresenceCount."""
    counts = {}
    for kind, unit, year, cleared, rated in BusinessPresence.objects.values_list(
        "unit_kind", "unit_id", "year", "cleared_months", "rated_months"
    ):
        for first, last in RUNS:
            months = run_mask(first, last)
            total = counts.setdefault((kind, unit, year, first, last), [0, 0])
            total[0] += bool(cleared & months)
            total[1] += bool(rated & months)
    return {key: tuple(total) for key, total in counts.items() if any(total)}  # runs nobody met have no row


def counted_presence():
    return {
        row[:5]: row[5:]
        for row in PresenceCount.objects.values_list(
            "unit_kind", "unit_id", "year", "first_month", "last_month", "businesses_cleared", "businesses_rated"
        )
    }


def test_presence_counts_follow_each_fold_and_match_the_masks(cast, settings):
    # given businesses whose declarations and ratings arrive in batches, over two years
    rng = random.Random(11)
    businesses = [cast.business_x, cast.business_y] + [
        Business.objects.create(tax_code=code, name=f"Business {code}") for code in make_tax_codes(57, 8, start=7000)
    ]
    first = add_declarations(cast, 60, rng, businesses=businesses[:4], months=14)
    add_ratings(cast, first, rng, share=0.5)
    fold_rollups(lag_seconds=0)
    assert counted_presence() == presence_oracle()
    before = counted_presence()

    # when new businesses appear in units and months already counted, and a batch changes no mask
    second = add_declarations(cast, 90, rng, businesses=businesses, months=14)
    add_ratings(cast, second, rng, share=0.7)
    fold_rollups(lag_seconds=0)
    same_masks = add_declarations(
        cast, 1, rng, businesses=[second[0].business], units=[(second[0].branch, second[0].team, [])]
    )
    Declaration.objects.filter(pk=same_masks[0].pk).update(
        registered_at=second[0].registered_at, cleared_at=second[0].cleared_at
    )
    fold_rollups(lag_seconds=0)

    # then every run of months of every unit-year holds the businesses the masks hold
    counts = counted_presence()
    assert counts == presence_oracle()
    assert counts != before
    department_year = counts[(UnitKind.DEPARTMENT, cast.department.pk, 2025, 1, 12)]
    assert department_year[0] == len({d.business_id for d in first + second if d.cleared_at is not None})

    # and the rebuild recounts the same
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0
    rebuild_rollups()
    assert counted_presence() == counts


def test_participation_across_two_years_counts_a_business_once(cast):
    # given one business with declarations cleared in December 2025 and January 2026
    rng = random.Random(3)
    declarations = add_declarations(cast, 2, rng, businesses=[cast.business_x], units=[units_of(cast)[0]])
    for declaration, cleared in zip(
        declarations,
        [
            datetime.datetime(2025, 12, 10, 3, tzinfo=datetime.UTC),
            datetime.datetime(2026, 1, 10, 3, tzinfo=datetime.UTC),
        ],
        strict=True,
    ):
        Declaration.objects.filter(pk=declaration.pk).update(registered_at=cleared, cleared_at=cleared)
    fold_rollups(lag_seconds=0)
    branch = (UnitKind.BRANCH, cast.branch_a.pk)

    # when participation is read for each year and for the run across both
    december = _presence(UnitKind.BRANCH, [branch[1]], Period.month(2025, 12), by=None)
    across = _presence(UnitKind.BRANCH, [branch[1]], Period.parse("2025-12..2026-01"), by=None)
    by_month = _presence(UnitKind.BRANCH, [branch[1]], Period.parse("2025-12..2026-01"), by="month")

    # then the business counts once across the two years, and once in each month
    assert december == {"rated": 0, "cleared": 1}
    assert across == {"rated": 0, "cleared": 1}
    assert by_month == {datetime.date(2025, 12, 1): december, datetime.date(2026, 1, 1): december}
