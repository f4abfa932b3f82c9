"""The case rollup: folded incrementally as cases open and move, equal to a rebuild, and giving the
dashboards the same case figures as the live cases (feedback.cases.selectors.case_figures)."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from feedback.cases.selectors import case_figures
from feedback.models import DissatisfactionCase
from reports.measures import Period, monthly_series, rank_units, unit_measures
from reports.models import CaseRollup, UnitKind
from reports.rollups import fold_rollups, rebuild_rollups
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to

BRANCH = UnitKind.BRANCH


@pytest.fixture
def case_cast(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return cast


def rollup_rows() -> list[tuple]:
    return list(
        CaseRollup.objects.order_by("branch_id", "month", "outcome", "conclusion", "answer_working_days").values_list(
            "branch_id", "month", "outcome", "conclusion", "answer_working_days", "cases"
        )
    )


def complaints(cast, count: int, *, start: int, branch: str = "a") -> list[DissatisfactionCase]:
    """`count` dissatisfied ratings of new declarations of branch A (business X) or B (business Y)."""
    if branch == "a":
        business, unit, team, officer = cast.business_x, cast.branch_a, cast.team_a1, cast.officers.oa1
    else:
        business, unit, team, officer = cast.business_y, cast.branch_b, cast.team_b1, cast.officers.ob1
    cases = []
    for index in range(start, start + count):
        declaration = make_declaration(f"1077700{index:05d}", business, unit, team, [(officer, "reception")])
        cases.append(complain(cast, declaration))
    return cases


def test_case_rollup_incremental_folds_equal_the_rebuild(case_cast):
    cast = case_cast
    # given cases opened and worked on between folds
    first = complaints(cast, 4, start=1) + complaints(cast, 2, start=10, branch="b")
    assert fold_rollups(lag_seconds=0).case_keys == -1  # the first fold finding cases recomputes every key
    assert sum(row[-1] for row in rollup_rows()) == 6

    walk_to(first[0], "answered", cast)
    walk_to(first[1], "concluded", cast)
    second = complaints(cast, 3, start=20)
    result = fold_rollups(lag_seconds=0)
    assert result.case_keys == 1  # only branch A's month was touched
    walk_to(second[0], "closed", cast)
    walk_to(first[2], "verifying", cast)
    fold_rollups(lag_seconds=0)
    incremental = rollup_rows()

    # when folding again with nothing new, then rebuilding from scratch
    assert fold_rollups(lag_seconds=0).case_keys == 0
    rebuild_rollups(lag_seconds=0)

    # then the rows are the same, and they say what happened
    assert rollup_rows() == incremental
    branch_a = [row for row in incremental if row[0] == cast.branch_a.pk]
    assert sum(row[-1] for row in branch_a) == 7
    answered = [row for row in branch_a if row[2] == "on_time"]
    assert sum(row[-1] for row in answered) == 2  # first[0] answered, second[0] answered then closed
    assert {row[3] for row in answered} == {"partly"}
    assert sum(row[-1] for row in branch_a if row[3] == "partly") == 3  # first[1] concluded too


def test_case_rollup_fold_twice_adds_nothing(case_cast):
    complaints(case_cast, 2, start=1)
    fold_rollups(lag_seconds=0)
    before = rollup_rows()
    assert fold_rollups(lag_seconds=0).case_keys == 0
    assert rollup_rows() == before


@pytest.fixture
def shaped_cases(case_cast):
    """Cases of branches A and B over two months, in every outcome: answered on time and late (with working
    days to answer), concluded, and unanswered with the due date passed or not. Shaped before the first
    fold, which reads them whole."""
    cast = case_cast
    cases = complaints(cast, 7, start=1) + complaints(cast, 3, start=30, branch="b")
    now = timezone.now()
    this_month = timezone.localtime(now).date().replace(day=1)
    earlier = timezone.make_aware(datetime.datetime.combine(this_month - datetime.timedelta(days=20), datetime.time(9)))
    shapes = [
        # (case, opened, due after opening, first answer after opening or None, working days, conclusion)
        (cases[0], earlier, 5, 3, 3, "partly"),
        (cases[1], earlier, 5, 8, 6, "substantiated"),
        (cases[2], earlier, 5, None, None, ""),  # overdue now, never answered
        (cases[3], now, 5, None, None, ""),  # not due yet
        (cases[4], now - datetime.timedelta(hours=5), 0.1, None, None, ""),  # overdue already
        (cases[5], earlier, 5, 2, 2, "not_substantiated"),
        (cases[6], earlier, 5, 4, 4, "partly"),
        (cases[7], earlier, 5, 1, 1, "substantiated"),
        (cases[8], earlier, 5, 9, 7, "partly"),
        (cases[9], now, 5, None, None, ""),
    ]
    for case, opened, due_days, answer_days, working_days, conclusion in shapes:
        answered = None if answer_days is None else opened + datetime.timedelta(days=answer_days)
        DissatisfactionCase.objects.filter(pk=case.pk).update(
            opened_at=opened,
            due_at=opened + datetime.timedelta(days=due_days),
            status="answered" if answered else ("concluded" if conclusion else "new"),
            conclusion=conclusion,
            answer="Trả lời." if answered else "",
            answered_at=answered,
            first_answered_at=answered,
            answer_working_days=working_days,
        )
    fold_rollups(lag_seconds=0)
    return cast, Period.months(this_month - datetime.timedelta(days=20), this_month)


def live(user, period: Period, branch_id: int) -> dict:
    """The case figures of each month, computed from the cases themselves (the oracle)."""
    return {
        row.month: (row.opened, row.answered_on_time, row.overdue, row.median_days_to_answer)
        for row in case_figures(user, opened_from=period.first, opened_until=period.last_day, branch_ids=[branch_id])
    }


def test_case_figures_from_the_rollup_equal_the_live_figures(shaped_cases):
    cast, period = shaped_cases
    staff = cast.users.staff
    for branch in (cast.branch_a, cast.branch_b):
        expected = live(staff, period, branch.pk)
        series = monthly_series(staff, BRANCH, branch.pk, period)
        from_rollup = {
            item.month: (
                item.cases.opened,
                item.cases.answered_on_time,
                item.cases.overdue,
                item.cases.median_days_to_answer,
            )
            for item in series
            if item.cases.opened
        }
        assert from_rollup == expected
    # the branch A figures by hand: 7 cases; 3 answered on time; 1 answered late + 2 overdue unanswered
    figures = unit_measures(cast.users.leader, BRANCH, cast.branch_a.pk, period).cases
    assert (figures.opened, figures.answered_on_time, figures.overdue) == (7, 3, 3)
    assert figures.median_days_to_answer == 3.5  # working days 2, 3, 4, 6
    ranked = {item.unit_id: item.cases for item in rank_units(staff, BRANCH, period)}
    assert (ranked[cast.branch_b.pk].opened, ranked[cast.branch_b.pk].overdue) == (3, 1)  # answered after 9 days
    assert ranked[cast.branch_b.pk].median_days_to_answer == 4.0  # 1 and 7


def test_case_figures_of_another_branch_are_not_read_for_a_leader(shaped_cases):
    cast, period = shaped_cases
    with pytest.raises(Http404):
        unit_measures(cast.users.leader, BRANCH, cast.branch_b.pk, period)
