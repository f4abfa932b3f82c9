"""Dashboard figures per branch and month, and the home page's counts, on a small hand-computed set."""

import datetime
import zoneinfo

import pytest

from feedback.cases.selectors import InboxCounts, case_figures, inbox_counts
from feedback.models import DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 12, 20, 12, 0, tzinfo=HANOI)


def local(year, month, day, hour=9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=HANOI)


def put(case, *, opened, due, answered=None, days=None, conclusion=""):
    """Set a case's dates and outcome directly: the figures only read these columns."""
    values = {"opened_at": opened, "due_at": due, "conclusion": conclusion}
    if answered:
        values |= {"status": "answered", "answer": "…", "answered_at": answered, "first_answered_at": answered}
        values["answer_working_days"] = days
    elif conclusion:
        values["status"] = "concluded"
    DissatisfactionCase.objects.filter(pk=case.pk).update(**values)


@pytest.fixture
def figures_cast(case_cast):
    cast = case_cast

    def new_case(number, branch):
        business, team = (cast.business_x, cast.team_a1) if branch == "A" else (cast.business_y, cast.team_b1)
        unit = cast.branch_a if branch == "A" else cast.branch_b
        return complain(cast, make_declaration(number, business, unit, team))

    # Branch A, November 2026 (local): on time in 2 days; late in 6; never answered and overdue.
    put(
        new_case("101000000001", "A"),
        opened=local(2026, 11, 2),
        due=local(2026, 11, 9, 23),
        answered=local(2026, 11, 4),
        days=2,
        conclusion="substantiated",
    )
    put(
        new_case("101000000002", "A"),
        opened=local(2026, 11, 10),
        due=local(2026, 11, 17, 23),
        answered=local(2026, 11, 18),
        days=6,
        conclusion="not_substantiated",
    )
    put(new_case("101000000003", "A"), opened=local(2026, 11, 30, 23), due=local(2026, 12, 7, 23))
    # 30/11 23:00 in Hà Nội is still November locally (16:00 UTC): it counts in November.
    # Branch A, December: on time in 1 day, partly substantiated.
    put(
        new_case("101000000004", "A"),
        opened=local(2026, 12, 1),
        due=local(2026, 12, 8, 23),
        answered=local(2026, 12, 2),
        days=1,
        conclusion="partly",
    )
    # Branch B, November: open, due after NOW (not overdue).
    put(new_case("101000000005", "B"), opened=local(2026, 11, 20), due=local(2026, 12, 28, 23))
    return cast


def test_figures_per_branch_and_month(figures_cast):
    rows = {(row.branch_name, row.month): row for row in case_figures(figures_cast.users.staff, now=NOW)}
    nov, dec = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
    assert set(rows) == {
        ("Chi cục Hải quan Móng Cái", nov),
        ("Chi cục Hải quan Móng Cái", dec),
        ("Chi cục Hải quan Hòn Gai", nov),
    }

    a_nov = rows[("Chi cục Hải quan Móng Cái", nov)]
    assert (a_nov.opened, a_nov.answered, a_nov.answered_on_time, a_nov.overdue) == (3, 2, 1, 2)
    assert a_nov.median_days_to_answer == 4.0  # median of 2 and 6
    assert (a_nov.concluded, a_nov.substantiated, a_nov.share_substantiated) == (2, 1, 0.5)

    a_dec = rows[("Chi cục Hải quan Móng Cái", dec)]
    assert (a_dec.opened, a_dec.answered_on_time, a_dec.overdue, a_dec.median_days_to_answer) == (1, 1, 0, 1.0)
    assert (a_dec.share_substantiated, a_dec.share_at_least_partly) == (0.0, 1.0)

    b_nov = rows[("Chi cục Hải quan Hòn Gai", nov)]
    assert (b_nov.opened, b_nov.answered, b_nov.overdue, b_nov.median_days_to_answer) == (1, 0, 0, None)
    assert b_nov.share_substantiated is None


def test_figures_are_scoped_and_filtered_by_period(figures_cast):
    cast = figures_cast
    assert {row.branch_name for row in case_figures(cast.users.leader, now=NOW)} == {"Chi cục Hải quan Móng Cái"}
    assert case_figures(cast.users.outsider, now=NOW) == []
    december = case_figures(cast.users.staff, opened_from=datetime.date(2026, 12, 1), now=NOW)
    assert [(row.month, row.opened) for row in december] == [(datetime.date(2026, 12, 1), 1)]


def test_figures_take_one_query(figures_cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        case_figures(figures_cast.users.staff, now=NOW)


def test_inbox_counts_in_one_query(figures_cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = inbox_counts(figures_cast.users.staff, now=NOW)
    # Open: case 3 (new, overdue) and case 5 (new); the answered ones are neither new nor in progress.
    assert counts == InboxCounts(new=2, in_progress=0, overdue=1, escalated=0)
    assert inbox_counts(figures_cast.users.other_leader, now=NOW) == InboxCounts(
        new=1, in_progress=0, overdue=0, escalated=0
    )
