"""Charter compliance on small hand-computed tables: working time across a weekend, a swap day and Tết,
share within each commitment, nearest-rank median and 90th percentile, worst cases, incremental == rebuild."""

import datetime
import random

import pytest

from charter import selectors
from charter.buckets import bucket_of, upper_minutes
from charter.choices import Level
from charter.models import ComplianceHistogram, Overrun
from charter.periods import CharterPeriod
from charter.rollup import fold_compliance, rebuild_compliance
from core.working_time import working_time_between
from directory.calendar import department_calendar
from directory.choices import CalendarDayKind, CharterCode
from directory.models import CalendarDay, CharterCommitment

from .support import declare, local

pytestmark = pytest.mark.django_db
YEAR_2026 = CharterPeriod.year(2026)


def fold():
    return fold_compliance(lag_seconds=0)


def figures_of(level, unit, cast) -> dict:
    return {f.code: f for f in selectors.unit_figures(level, [unit], cast.department.pk, YEAR_2026)[unit.pk]}


@pytest.fixture
def hand_table(cast):
    """Six declarations whose durations were worked out by hand (office hours 07:30-11:30, 13:30-17:00)."""
    # A swap Saturday the department works (ngày làm bù), unknown to the statute.
    CalendarDay.objects.create(
        department=cast.department, date=datetime.date(2026, 3, 14), kind=CalendarDayKind.WORKING_DAY
    )
    return {
        # Registration: 45 minutes (overrun) and 20 minutes (wall clock, whatever the hours).
        "late_registration": declare(cast, received=local(2026, 3, 2, 9, 0), registered=local(2026, 3, 2, 9, 45)),
        "quick_registration": declare(
            cast, team=cast.team_a2, received=local(2026, 3, 2, 10, 0), registered=local(2026, 3, 2, 10, 20)
        ),
        # Document check across a weekend: Fri 16:00-17:00 and Mon 07:30-08:30 = 120 min, exactly the limit.
        "weekend": declare(cast, registered=local(2026, 3, 6, 16, 0), document=local(2026, 3, 9, 8, 30)),
        # Across the swap Saturday: Fri 16:30-17:00 and Sat 07:30-08:00 = 60 min.
        "swap_day": declare(cast, registered=local(2026, 3, 13, 16, 30), document=local(2026, 3, 14, 8, 0)),
        # Inspection across Tết 2026 (Mon 16/2 to Fri 20/2 off, weekends around): Fri 13/2 15:00-17:00 and
        # Mon 23/2 07:30-10:00 = 270 min, ten days on the wall clock.
        "tet": declare(
            cast,
            branch=cast.branch_b,
            team=cast.team_b1,
            registered=local(2026, 2, 13, 14, 0),
            document=local(2026, 2, 13, 15, 0),
            inspection=local(2026, 2, 23, 10, 0),
        ),
        # Inspection Mon 07:30 -> Tue 11:00 = 7.5 h + 3.5 h = 660 min: beyond 8 working hours.
        "long_inspection": declare(
            cast,
            registered=local(2026, 3, 2, 7, 0),
            document=local(2026, 3, 2, 7, 30),
            inspection=local(2026, 3, 3, 11, 0),
        ),
    }


def test_durations_match_hand_computed_working_time(cast, hand_table):
    fold()
    department = figures_of(Level.DEPARTMENT, cast.department, cast)
    registration = department[CharterCode.REGISTRATION]
    assert (registration.measured, registration.within) == (2, 1)
    assert (registration.median_minutes, registration.p90_minutes) == (20, 45)
    document = department[CharterCode.DOCUMENT_CHECK]
    # weekend 120 and swap day 60, both within; the Tết and long-inspection declarations also have a
    # document check (60 and 0 min after registration... 14:00->15:00 = 60, 07:00->07:30 = 0 before hours).
    assert (document.measured, document.within) == (4, 4)
    assert (document.median_minutes, document.p90_minutes) == (60, 120)
    inspection = department[CharterCode.PHYSICAL_INSPECTION]
    assert (inspection.measured, inspection.within) == (2, 1)
    assert (inspection.median_minutes, inspection.p90_minutes) == (270, 660)
    assert inspection.share_within == 0.5


def test_branch_and_team_rows_split_the_department(cast, hand_table):
    fold()
    branch_b = figures_of(Level.BRANCH, cast.branch_b, cast)
    assert branch_b[CharterCode.PHYSICAL_INSPECTION].median_minutes == 270
    assert branch_b[CharterCode.REGISTRATION].measured == 0
    team_a2 = figures_of(Level.TEAM, cast.team_a2, cast)
    assert (team_a2[CharterCode.REGISTRATION].measured, team_a2[CharterCode.REGISTRATION].within) == (1, 1)


def test_without_the_swap_day_the_saturday_counts_nothing(cast, hand_table):
    CalendarDay.objects.filter(date=datetime.date(2026, 3, 14)).delete()
    fold()
    document = figures_of(Level.BRANCH, cast.branch_a, cast)[CharterCode.DOCUMENT_CHECK]
    # Fri 16:30 -> Sat 08:00 is then only Friday's 30 minutes.
    assert document.median_minutes == 30


def test_the_department_limit_decides_within(cast, hand_table):
    CharterCommitment.objects.filter(department=cast.department, code=CharterCode.PHYSICAL_INSPECTION).update(limit=12)
    fold()
    inspection = figures_of(Level.DEPARTMENT, cast.department, cast)[CharterCode.PHYSICAL_INSPECTION]
    assert inspection.within == 2
    assert not Overrun.objects.filter(commitment=CharterCode.PHYSICAL_INSPECTION).exists()


def test_tax_exemption_is_not_measured_and_replies_are_owed_by_branches_not_teams(cast, hand_table):
    fold()
    department = figures_of(Level.DEPARTMENT, cast.department, cast)
    assert department[CharterCode.TAX_EXEMPTION].status == selectors.NO_SOURCE
    assert department[CharterCode.INQUIRY_REPLY].status == selectors.MEASURED
    assert department[CharterCode.INQUIRY_REPLY].measured == 0  # no inquiry in this table
    team = figures_of(Level.TEAM, cast.team_a1, cast)
    assert team[CharterCode.INQUIRY_REPLY].status == selectors.BRANCH_ONLY


def test_worst_cases_are_scoped_to_the_leaders_branch(cast, hand_table):
    fold()
    mine = selectors.worst_cases(cast.users.leader, YEAR_2026)
    assert [row["number"] for row in mine[CharterCode.PHYSICAL_INSPECTION]] == [hand_table["long_inspection"].number]
    assert mine[CharterCode.PHYSICAL_INSPECTION][0]["minutes"] == 660
    assert [row["number"] for row in mine[CharterCode.REGISTRATION]] == [hand_table["late_registration"].number]
    theirs = selectors.worst_cases(cast.users.other_leader, YEAR_2026)
    assert all(not rows for rows in theirs.values())  # branch B overran nothing
    assert all(not rows for rows in selectors.worst_cases(cast.users.team_leader, YEAR_2026).values())


def test_a_declaration_cleared_after_the_fold_is_measured_once(cast):
    pending = declare(
        cast, received=local(2026, 3, 2, 9, 0), registered=local(2026, 3, 2, 9, 10), cleared=local(2026, 3, 2, 9, 10)
    )
    pending.cleared_at = None
    pending.save()
    fold()
    assert figures_of(Level.DEPARTMENT, cast.department, cast)[CharterCode.REGISTRATION].measured == 0
    pending.cleared_at = local(2026, 3, 2, 12, 0)
    pending.save()
    fold()
    fold()
    assert figures_of(Level.DEPARTMENT, cast.department, cast)[CharterCode.REGISTRATION].measured == 1


def _histogram_rows():
    return sorted(
        ComplianceHistogram.objects.values_list(
            "commitment", "level", "unit_id", "month", "bucket", "measured", "within"
        )
    )


def _overrun_rows():
    return sorted(Overrun.objects.values_list("declaration_id", "commitment", "seconds", "limit_seconds", "month"))


def _random_declarations(cast, rng: random.Random, count: int, *, uncleared_share=0.0):
    made = []
    units = [(cast.branch_a, cast.team_a1), (cast.branch_a, cast.team_a2), (cast.branch_b, cast.team_b1)]
    for _ in range(count):
        branch, team = rng.choice(units)
        registered = local(2026, 1, 1) + datetime.timedelta(minutes=rng.randrange(300 * 24 * 60))
        received = registered - datetime.timedelta(minutes=rng.randrange(90)) if rng.random() < 0.8 else None
        document = registered + datetime.timedelta(minutes=rng.randrange(2000)) if rng.random() < 0.7 else None
        start = document or registered
        inspection = start + datetime.timedelta(minutes=rng.randrange(5000)) if rng.random() < 0.4 else None
        made.append(
            declare(
                cast,
                branch=branch,
                team=team,
                received=received,
                registered=registered,
                document=document,
                inspection=inspection,
            )
        )
        if rng.random() < uncleared_share:
            made[-1].cleared_at = None
            made[-1].save()
    return made


def test_incremental_folds_give_the_rows_of_a_rebuild(cast):
    rng = random.Random(16)
    CalendarDay.objects.create(
        department=cast.department, date=datetime.date(2026, 5, 9), kind=CalendarDayKind.WORKING_DAY
    )
    first = _random_declarations(cast, rng, 120, uncleared_share=0.2)
    fold()
    _random_declarations(cast, rng, 80, uncleared_share=0.2)
    fold()
    for declaration in first:  # clearances arrive for the pending ones
        if declaration.cleared_at is None:
            declaration.cleared_at = max(
                t
                for t in (declaration.registered_at, declaration.document_check_done_at, declaration.inspection_done_at)
                if t
            )
            declaration.save()
    _random_declarations(cast, rng, 50)
    fold()
    fold()  # nothing new: adds nothing
    incremental, overruns = _histogram_rows(), _overrun_rows()
    rebuild_compliance(lag_seconds=0)  # counts the stored timings again
    assert incremental and _histogram_rows() == incremental
    assert overruns and _overrun_rows() == overruns
    rebuild_compliance(lag_seconds=0, retime=True)  # times every declaration again
    assert _histogram_rows() == incremental
    assert _overrun_rows() == overruns


def test_the_database_durations_equal_core_working_time(cast):
    """The SQL twin of core.working_time: every measured duration, bucket by bucket, as Python reckons it."""
    rng = random.Random(225)
    CalendarDay.objects.create(
        department=cast.department, date=datetime.date(2026, 5, 9), kind=CalendarDayKind.WORKING_DAY
    )
    CalendarDay.objects.create(department=cast.department, date=datetime.date(2026, 6, 1), kind=CalendarDayKind.DAY_OFF)
    made = _random_declarations(cast, rng, 150)
    fold()
    calendar = department_calendar(cast.department.pk)
    expected: dict = {}
    for d in made:
        spans = {
            CharterCode.REGISTRATION: (d.received_at and (d.registered_at - d.received_at).total_seconds()),
            CharterCode.DOCUMENT_CHECK: d.document_check_done_at
            and working_time_between(d.registered_at, d.document_check_done_at, calendar).total_seconds(),
            CharterCode.PHYSICAL_INSPECTION: d.inspection_done_at
            and working_time_between(
                d.document_check_done_at or d.registered_at, d.inspection_done_at, calendar
            ).total_seconds(),
        }
        for code, seconds in spans.items():
            if seconds is None or seconds is False:
                continue
            key = (code, bucket_of(int(seconds)))
            expected[key] = expected.get(key, 0) + 1
    # The department's rows hold every month; sum them per bucket.
    summed: dict = {}
    for code, bucket, measured in ComplianceHistogram.objects.filter(level=Level.DEPARTMENT).values_list(
        "commitment", "bucket", "measured"
    ):
        summed[(code, bucket)] = summed.get((code, bucket), 0) + measured
    assert summed and summed == expected


@pytest.mark.parametrize(
    ("seconds", "bucket", "upper"),
    [
        (0, 0, 0),
        (1, 1, 1),
        (60, 1, 1),
        (61, 2, 2),
        (36_000, 600, 600),
        (36_001, 601, 610),
        (360_000, 1140, 6000),
        (360_001, 1141, 6060),
        (3_600_000, 2040, 60_000),
        (3_600_001, 2041, None),
    ],
)
def test_buckets_round_up_to_their_resolution(seconds, bucket, upper):
    assert bucket_of(seconds) == bucket
    assert upper_minutes(bucket) == upper
