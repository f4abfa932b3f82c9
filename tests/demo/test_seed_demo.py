"""`manage.py seed_demo` at a small scale: what it builds, that it is deterministic, that a rerun changes nothing."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Avg, Count, F, Q
from django.test import Client
from django.utils import timezone

from core import clock
from demo.directory import day_anchor, month_anchor, months_before
from demo.feedback import DEMO_ACCOUNT_PENDING, WORSE_OFFICER_TEAMS, plan_declarations, worse_officer_ids
from directory.choices import Role
from directory.models import (
    AuditEvent,
    Branch,
    Business,
    BusinessMembership,
    Department,
    Officer,
    Team,
    TeamMembership,
    User,
)
from directory.taxcode import normalize_tax_code
from feedback.declarations.checks import LOCAL_TZ
from feedback.models import Declaration, DeclarationOfficer, DissatisfactionCase, Rating, RatingOfficer
from feedback.ratings.window import open_for_rating

SCALE = "0.02"  # 16 businesses, about 600 declarations


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Department,
            Branch,
            Team,
            Officer,
            TeamMembership,
            Business,
            User,
            BusinessMembership,
            Declaration,
            DeclarationOfficer,
            Rating,
            RatingOfficer,
            AuditEvent,
        )
    }


def snapshot() -> dict[str, list]:
    """Every demo row by natural keys, so two databases can be compared."""
    return {
        "declarations": list(
            Declaration.objects.order_by("number").values_list(
                "number",
                "type_code",
                "channel",
                "business__tax_code",
                "branch__code",
                "team__code",
                "registered_at",
                "cleared_at",
            )
        ),
        "links": list(
            DeclarationOfficer.objects.order_by("declaration__number", "stage", "officer__code").values_list(
                "declaration__number", "officer__code", "stage", "team__code"
            )
        ),
        "officers": list(Officer.objects.order_by("code").values_list("code", "full_name", "branch__code")),
        "memberships": list(
            TeamMembership.objects.order_by("officer__code", "started_on").values_list(
                "officer__code", "team__code", "started_on", "ended_on"
            )
        ),
        "businesses": list(Business.objects.order_by("tax_code").values_list("tax_code", "name", "is_in_province")),
        "ratings": list(
            Rating.objects.order_by("declaration__number").values_list(
                "declaration__number",
                "submitted_by__username",
                "submitted_via",
                "branch_level",
                "team_level",
                "branch_reasons",
                "team_reasons",
                "comment",
                "is_dissatisfied",
                "created_at",
            )
        ),
        "officer_ratings": list(
            RatingOfficer.objects.order_by("rating__declaration__number", "officer__code").values_list(
                "rating__declaration__number", "officer__code", "team__code", "level", "reasons"
            )
        ),
    }


def wipe() -> None:
    # Case events refuse deletes (a trigger on PostgreSQL, whose TRUNCATE skips row triggers).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
            cursor.execute(f"TRUNCATE {DissatisfactionCase._meta.db_table} CASCADE")
    else:
        for model in (*(rel.related_model for rel in DissatisfactionCase._meta.related_objects), DissatisfactionCase):
            model.objects.all()._raw_delete(model.objects.db)
    from cdci import models as cdci

    # CDCI publications refuse deletes too (a trigger on PostgreSQL); runs and assessments go with them.
    cdci_models = (cdci.CdciPublication, cdci.CdciRun, cdci.DepartmentAssessment)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(model._meta.db_table for model in cdci_models)}")
    else:
        for model in cdci_models:
            model.objects.all()._raw_delete(model.objects.db)
    from inquiries import models as inquiry

    # Inquiry events refuse deletes (a trigger on PostgreSQL); the inquiries PROTECT declarations and users.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {inquiry.Inquiry._meta.db_table}, {inquiry.DialogueConference._meta.db_table} CASCADE"
            )
    else:
        inquiry.InquiryEvent.objects.all()._raw_delete(inquiry.InquiryEvent.objects.db)
        for model in (
            inquiry.ConferenceProblem,
            inquiry.DialogueConference.businesses.through,
            inquiry.DialogueConference,
            inquiry.FaqEntry,
            inquiry.InquiryAttachment,
            inquiry.InquiryExchange,
            inquiry.Inquiry,
        ):
            model.objects.all()._raw_delete(model.objects.db)
    from surveys import models as survey

    # Survey rows PROTECT their campaign and units: children first.
    survey_models = (survey.Answer, survey.Response, survey.InvitationUnit, survey.Invitation, survey.Question)
    for model in (*survey_models, survey.ComponentIndex, survey.Campaign, survey.SurveyAdministrator):
        model.objects.all().delete()
    for model in (RatingOfficer, Rating):
        model.objects.all().delete()
    AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)  # append-only: its queryset refuses delete()
    for model in (DeclarationOfficer, Declaration, BusinessMembership, User, TeamMembership, Officer):
        model.objects.all().delete()
    for model in (Team, Branch, Department, Business):
        model.objects.all().delete()


@pytest.mark.django_db
def test_seed_demo_builds_a_department_like_quang_ninh():
    output = seed()

    assert "ready" in output
    department = Department.objects.get(code="QN")
    assert department.province_tax_prefix == "57"
    assert Branch.objects.filter(department=department).count() == 7
    assert set(Branch.objects.values_list("code", flat=True)) == {"MC", "HG", "CL", "CP", "BPS", "HM", "VG"}
    team_counts = dict(Branch.objects.annotate(n=Count("teams")).values_list("code", "n"))
    assert sum(team_counts.values()) == 35 and all(4 <= n <= 7 for n in team_counts.values())
    assert Officer.objects.count() == 250
    # Each officer has exactly one current membership; ten moved team six months ago.
    assert TeamMembership.objects.filter(ended_on__isnull=True).count() == 250
    moved = TeamMembership.objects.filter(ended_on__isnull=False)
    assert moved.count() == 10
    moved_on = months_before(month_anchor().date(), 6)
    assert set(moved.values_list("ended_on", flat=True)) == {moved_on - datetime.timedelta(days=1)}
    assert TeamMembership.objects.filter(started_on=moved_on).count() == 10

    # The survey demo adds a panel of businesses "added by staff" far above the directory's sequence.
    from demo.surveys import PANEL_SEQUENCE_START

    businesses = [b for b in Business.objects.all() if int(b.tax_code[2:9]) < PANEL_SEQUENCE_START]
    assert len(businesses) == 16
    assert all(normalize_tax_code(b.tax_code) == b.tax_code for b in businesses)
    in_province = [b for b in businesses if b.is_in_province]
    assert len(in_province) == 9  # 55% of 16
    assert all(b.tax_code.startswith("57") == b.is_in_province for b in businesses)

    declarations = Declaration.objects.all()
    assert 480 <= declarations.count() <= 720
    channels = dict(declarations.values("channel").annotate(n=Count("id")).values_list("channel", "n"))
    assert channels["green"] > channels["yellow"] > channels["red"] > 0
    assert all(len(n) == 12 and n[:2] in ("10", "30") for n in declarations.values_list("number", flat=True))
    busiest = declarations.values("branch__code").annotate(n=Count("id")).order_by("-n").first()
    assert busiest["branch__code"] == "MC"
    # The newest are not cleared yet, and nothing clears after the present of the run (midnight today).
    pending = declarations.filter(cleared_at__isnull=True)
    assert pending.exists()
    assert pending.order_by("registered_at").first().registered_at >= (
        declarations.filter(cleared_at__isnull=False).order_by("registered_at").last().registered_at
        - datetime.timedelta(days=3)
    )
    assert not declarations.filter(cleared_at__gte=day_anchor()).exists()
    assert not declarations.filter(registered_at__gte=day_anchor()).exists()
    assert not declarations.exclude(team__branch=F("branch")).exists()
    # Each officer link credits the team the officer belonged to on the day, inside the declaration's branch.
    links = DeclarationOfficer.objects.all()
    assert links.count() >= declarations.count() * 2
    assert not links.filter(team__isnull=True).exists()
    assert not links.exclude(team__branch=F("declaration__branch")).exists()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    seed()
    admin = User.objects.get(username="admin")
    admin.set_password("changed-on-purpose")
    admin.save()
    before = counts()
    declarations_before = snapshot()["declarations"]

    output = seed()

    assert counts() == before  # no new rows, and no audit event (so no update either)
    assert snapshot()["declarations"] == declarations_before
    assert f"0 created, {before['Declaration']:,} unchanged, 0 updated" in output
    assert User.objects.get(username="admin").check_password("changed-on-purpose")


@pytest.mark.django_db
def test_seed_demo_builds_identical_rows_from_scratch():
    seed()
    first = snapshot()
    wipe()

    seed()

    assert snapshot() == first


@pytest.mark.django_db
def test_a_day_yields_the_same_declarations_whatever_the_month_of_the_run():
    seed()
    department = Department.objects.get(code="QN")
    businesses = list(Business.objects.order_by("tax_code"))
    anchor = month_anchor()
    earlier_anchor = month_anchor(anchor - datetime.timedelta(days=1))

    now = plan_declarations(department, businesses, scale=0.02, anchor=anchor, until=day_anchor())
    month_ago = plan_declarations(department, businesses, scale=0.02, anchor=earlier_anchor, until=earlier_anchor)

    overlap_start = now[0]["registered_at"].date()
    settled = earlier_anchor - datetime.timedelta(days=3)  # a month ago these were still pending
    older = [i for i in month_ago if overlap_start <= i["registered_at"].date() and i["registered_at"] < settled]
    by_number = {item["number"]: item for item in now}
    assert older and all(by_number[item["number"]] == item for item in older)


@pytest.mark.django_db
def test_demo_accounts_have_their_roles_and_sign_in_only_in_debug(settings):
    seed()
    users = User.objects.in_bulk(
        ["admin", "staff", "leader", "officer", "business", "integration"], field_name="username"
    )

    assert all(users[name].is_demo for name in ("admin", "staff", "leader", "officer", "business", "integration"))
    assert users["admin"].is_superuser and users["admin"].is_staff and users["admin"].role == Role.ADMINISTRATOR
    assert users["staff"].role == Role.DEPARTMENT_STAFF and users["staff"].department.code == "QN"
    assert users["staff"].is_staff
    assert users["leader"].role == Role.BRANCH_LEADER and users["leader"].branch.code == "MC"
    assert users["officer"].role == Role.OFFICER and users["officer"].officer.branch.code == "MC"
    assert Declaration.objects.for_user(users["officer"]).exists()
    assert users["integration"].role == Role.INTEGRATION and users["integration"].department.code == "QN"
    memberships = list(BusinessMembership.objects.filter(user=users["business"]).order_by("-is_admin"))
    assert len(memberships) == 2
    assert memberships[0].is_admin and memberships[0].business.is_in_province
    assert not memberships[1].is_admin
    assert Declaration.objects.for_user(users["business"]).count() > 10

    settings.DEBUG = True
    people = [name for name in users if name != "integration"]
    assert all(Client().login(username=name, password="demo") for name in people)
    assert not Client().login(username="integration", password="demo")  # the API only, with its token
    settings.DEBUG = False
    assert not any(Client().login(username=name, password="demo") for name in users)


@pytest.mark.django_db
def test_seed_demo_if_empty_skips_when_declarations_exist():
    seed()
    before = counts()

    output = seed("--if-empty")

    assert "nothing to do" in output
    assert counts() == before


@pytest.mark.django_db
def test_seed_demo_if_empty_seeds_an_empty_database():
    output = seed("--if-empty")

    assert "ready" in output
    assert Declaration.objects.exists()


def test_seed_demo_refuses_a_non_positive_scale():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "0")


def satisfied_share(ratings) -> float:
    return ratings.filter(branch_level__gte=4).count() / ratings.count()


@pytest.mark.django_db
def test_seed_demo_rates_most_cleared_declarations_with_a_realistic_distribution():
    output = seed()

    cleared = Declaration.objects.cleared()
    ratings = Rating.objects.all()
    assert f"{ratings.count():,}" in output
    assert 0.80 <= ratings.count() / cleared.count() <= 0.90
    assert 0.93 <= satisfied_share(ratings) <= 0.985
    officer_levels = RatingOfficer.objects.all()
    assert 0.92 <= officer_levels.filter(level__gte=4).count() / officer_levels.count() <= 0.985
    assert ratings.filter(is_dissatisfied=True).exists()
    # Dissatisfied ratings come with reasons and, often, a Vietnamese comment.
    dissatisfied = ratings.filter(Q(branch_level__lte=2) | Q(team_level__lte=2))
    assert not dissatisfied.filter(branch_reasons=[], team_reasons=[]).exists()
    assert ratings.filter(is_dissatisfied=True).exclude(comment="").exists()
    # Most rate the team, most rate the officers; both submission channels are used.
    assert ratings.filter(team_level__isnull=False).count() > 0.8 * ratings.count()
    assert RatingOfficer.objects.values("rating").distinct().count() > 0.7 * ratings.count()
    via = dict(ratings.values_list("submitted_via").annotate(n=Count("id")))
    assert via["web"] > 0 and via["api"] > 0

    # Hoành Mô and Bắc Phong Sinh are clearly worse than the other branches.
    worse = ratings.filter(branch__code__in=["HM", "BPS"])
    others = ratings.exclude(branch__code__in=["HM", "BPS"])
    assert worse.count() >= 20
    assert satisfied_share(worse) < satisfied_share(others) - 0.02
    # So are the chosen officers (officers sent to red and yellow declarations get a little less anyway).
    demo_officer = User.objects.get(username="officer").officer_id
    worse_officers = worse_officer_ids(Department.objects.get(code="QN"), spare=[demo_officer])
    assert 5 <= len(worse_officers) <= len(WORSE_OFFICER_TEAMS)
    bad = officer_levels.filter(officer_id__in=worse_officers).aggregate(mean=Avg("level"), n=Count("id"))
    good = officer_levels.exclude(officer_id__in=worse_officers).aggregate(mean=Avg("level"))
    assert bad["n"] >= 10 and bad["mean"] < good["mean"] - 0.2
    # Red and yellow declarations are rated lower than green ones (case mix).
    by_channel = dict(ratings.values_list("declaration__channel").annotate(mean=Avg("branch_level")))
    assert by_channel["green"] > by_channel["red"]


@pytest.mark.django_db
def test_every_demo_rating_is_what_submit_rating_would_store():
    seed()
    until = day_anchor()
    window = datetime.timedelta(days=settings.RATING_WINDOW_DAYS)
    links: dict[int, dict[int, int | None]] = {}
    for declaration_id, officer_id, team_id in DeclarationOfficer.objects.order_by("id").values_list(
        "declaration_id", "officer_id", "team_id"
    ):
        links.setdefault(declaration_id, {}).setdefault(officer_id, team_id)
    officer_rows: dict[int, list[tuple[int, int | None, int, list]]] = {}
    for row in RatingOfficer.objects.values_list("rating_id", "officer_id", "team_id", "level", "reasons"):
        officer_rows.setdefault(row[0], []).append(row[1:])
    ratings = Rating.objects.select_related("declaration", "submitted_by")
    cases = set(DissatisfactionCase.objects.values_list("rating_id", flat=True))
    memberships = set(BusinessMembership.objects.values_list("user_id", "business_id"))

    for rating in ratings:
        declaration = rating.declaration
        assert declaration.cleared_at < rating.created_at < min(until, declaration.cleared_at + window)
        assert (rating.business_id, rating.branch_id, rating.team_id) == (
            declaration.business_id,
            declaration.branch_id,
            declaration.team_id,
        )
        assert rating.submitted_by.role == Role.BUSINESS
        assert (rating.submitted_by_id, rating.business_id) in memberships
        officers = officer_rows.get(rating.pk, [])
        for officer_id, team_id, level, reasons in officers:
            assert links[declaration.pk][officer_id] == team_id  # handled it, with the team of that day
            assert bool(reasons) == (level <= 2)
        assert bool(rating.branch_reasons) == (rating.branch_level <= 2)
        assert bool(rating.team_reasons) == (rating.team_level is not None and rating.team_level <= 2)
        levels = [rating.branch_level, rating.team_level, *(level for _o, _t, level, _r in officers)]
        assert rating.is_dissatisfied == any(level is not None and level <= 2 for level in levels)
        assert (rating.pk in cases) == rating.is_dissatisfied


@pytest.mark.django_db
def test_demo_business_keeps_its_newest_cleared_declarations_to_rate():
    seed()
    business = User.objects.get(username="business")
    declarations = Declaration.objects.for_user(business).cleared()

    pending = open_for_rating(declarations)  # what the business's "to rate" list shows, today

    assert pending.count() >= DEMO_ACCOUNT_PENDING
    newest = declarations.order_by("-cleared_at")[:DEMO_ACCOUNT_PENDING]
    assert not Rating.objects.filter(declaration__in=newest).exists()
    assert Rating.objects.filter(submitted_by=business).exists()  # and it rated the older ones itself
    # Other businesses' ratings come from one declarant account of their own, not a demo login.
    others = Rating.objects.exclude(business__in=business.businesses.all())
    assert not others.exclude(submitted_by__username__startswith="demo-rater-").exists()
    assert others.values("submitted_by").distinct().count() == others.values("business").distinct().count()


@pytest.mark.django_db
def test_seed_demo_leaves_cases_in_every_state_worked_by_the_right_people():
    from directory.models import OutboxMessage
    from feedback.models import CaseEvent

    seed()
    cases = DissatisfactionCase.objects.all()
    statuses = set(cases.values_list("status", flat=True))
    assert {"new", "assigned", "verifying", "concluded", "answered", "closed"} <= statuses
    assert set(cases.filter(status="closed").values_list("closed_how", flat=True)) == {"accepted", "auto"}
    assert cases.filter(disputed_at__isnull=False).count() == 1
    now = timezone.now()
    assert cases.overdue(now).filter(escalated_at__isnull=False).exists()
    # The demo leader of Móng Cái has cases in several states; the demo business has an answer to read.
    leader = User.objects.get(username="leader")
    assert len(set(DissatisfactionCase.objects.for_user(leader).values_list("status", flat=True))) >= 5
    business = User.objects.get(username="business")
    assert DissatisfactionCase.objects.for_user(business).filter(status="answered").exists()
    # Each step was taken by someone allowed to: leaders assign, conclude and answer; the business accepts.
    events = CaseEvent.objects.exclude(action__in=["opened", "escalated", "closed", "reminded"])
    roles = dict(events.values_list("action", "actor_role").distinct())
    assert roles["assigned"] == roles["concluded"] == roles["answered"] == Role.BRANCH_LEADER
    assert roles["findings"] == Role.TEAM_LEADER
    assert roles["accepted"] == roles["disputed"] == Role.BUSINESS
    assert not CaseEvent.objects.filter(action="answered", case__branch__code="MC").exclude(actor=leader).exists()
    # The trail of each case reads in order of time, and no demo notice waits to be mailed.
    for case in cases.filter(status="closed"):
        times = list(case.events.order_by("id").values_list("created_at", flat=True))
        assert times == sorted(times)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    before = list(cases.order_by("pk").values_list("pk", "status", "escalated_at"))
    events_before = CaseEvent.objects.count()
    seed()
    assert list(cases.order_by("pk").values_list("pk", "status", "escalated_at")) == before
    assert CaseEvent.objects.count() == events_before


# Late in a month (the 27th): the days since the first are there too, so the demo looks like any day.
LATE_IN_A_MONTH = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


def seed_on(moment: datetime.datetime) -> str:
    with clock.at(moment):
        return seed()


def declarations_by_number() -> dict[str, tuple]:
    return {row[0]: row[1:] for row in snapshot()["declarations"]}


@pytest.mark.django_db
def test_seed_demo_late_in_a_month_has_declarations_to_rate_and_cases_not_yet_due():
    seed_on(LATE_IN_A_MONTH)
    until = day_anchor(LATE_IN_A_MONTH)

    declarations = Declaration.objects.all()
    # Declarations run to the day before (at this scale, about one a day: the newest is of the last days).
    assert declarations.order_by("registered_at").last().registered_at >= until - datetime.timedelta(days=3)
    assert not declarations.filter(registered_at__gte=until).exists()
    # The demo business has declarations to rate inside the rating window of that day.
    business = User.objects.get(username="business")
    to_rate = open_for_rating(Declaration.objects.for_user(business), now=LATE_IN_A_MONTH)
    assert to_rate.count() >= DEMO_ACCOUNT_PENDING
    # The demo leader has new complaints that are not overdue, besides the overdue (escalated) ones.
    leader = User.objects.get(username="leader")
    cases = DissatisfactionCase.objects.for_user(leader)
    fresh = cases.filter(status="new", due_at__gte=LATE_IN_A_MONTH)
    assert fresh.exists()
    assert cases.still_open().filter(due_at__gte=LATE_IN_A_MONTH).exists()
    assert not fresh.filter(escalated_at__isnull=False).exists()
    assert cases.overdue(LATE_IN_A_MONTH).exists()
    # The fresh complaint came through submit_rating, dated by the demo clock before the day's present.
    assert all(case.opened_at < until for case in fresh)


@pytest.mark.django_db
def test_seed_demo_again_the_same_day_adds_nothing_and_a_later_day_only_adds():
    seed_on(LATE_IN_A_MONTH)
    before = counts()
    cases_before = DissatisfactionCase.objects.count()
    first = snapshot()

    output = seed_on(LATE_IN_A_MONTH + datetime.timedelta(hours=8))

    assert counts() == before
    assert DissatisfactionCase.objects.count() == cases_before
    assert f"0 created, {before['Declaration']:,} unchanged, 0 updated" in output

    later = LATE_IN_A_MONTH + datetime.timedelta(days=3)
    seed_on(later)

    after = declarations_by_number()
    old = {row[0]: row[1:] for row in first["declarations"]}
    new_numbers = after.keys() - old.keys()
    assert old.keys() <= after.keys() and new_numbers
    for number in new_numbers:  # the days in between, and only those
        assert LATE_IN_A_MONTH.date() <= after[number][5].astimezone(LOCAL_TZ).date() < later.date()
    for number, row in old.items():
        # Same content; a declaration still in clearance then may have cleared since, at its planned time.
        if row[-1] is None:
            assert after[number][:-1] == row[:-1]
        else:
            assert after[number] == row
    ratings_now = snapshot()["ratings"]
    assert all(rating in ratings_now for rating in first["ratings"])
    assert set(first["links"]) <= set(snapshot()["links"])


@pytest.mark.django_db
def test_campaign_list_counts_valid_respondents_as_the_monitoring_page_does(client, settings):
    from django.urls import reverse

    from surveys import selectors
    from surveys.models import Campaign, Response

    seed()
    staff = User.objects.get(username="staff")
    last_year = Campaign.objects.order_by("year").first()
    settings.DEBUG = True  # demo accounts sign in only then
    client.force_login(staff)

    page = client.get(reverse("surveys:campaign-list"))

    listed = next(c for c in page.context["campaigns"] if c.pk == last_year.pk)

    progress = selectors.campaign_progress(last_year, user=staff)
    assert listed.valid_count == progress["total"]["valid"] > 0
    assert listed.invitation_count == progress["total"]["invited"]
    # Per respondent, not per unit: most respondents answered about two units.
    assert listed.valid_count < Response.objects.filter(campaign=last_year, is_valid=True).count()


@pytest.mark.django_db
def test_demo_stage_times_mostly_keep_the_charter_with_a_tail_worse_on_red():
    from core.working_time import working_hours_between
    from directory.calendar import department_calendar

    seed()
    calendar = department_calendar(Department.objects.get(code="QN").pk)
    rows = list(
        Declaration.objects.values_list(
            "channel", "received_at", "registered_at", "document_check_done_at", "inspection_done_at", "cleared_at"
        )
    )
    assert all(received is not None for _c, received, *_rest in rows)

    def share(flags: list[bool]) -> float:
        return sum(flags) / len(flags)

    def registered_in_time(channel: str) -> float:
        return share([(reg - rec).total_seconds() <= 30 * 60 for c, rec, reg, *_ in rows if c == channel])

    def checked_in_time(channel: str) -> float:
        return share(
            [working_hours_between(reg, done, calendar) <= 2 for c, _r, reg, done, *_ in rows if c == channel and done]
        )

    assert 0.85 < registered_in_time("green") < 1 and registered_in_time("red") < registered_in_time("green")
    assert 0.6 < checked_in_time("red") < checked_in_time("yellow") < 1
    red = [(done, inspected, cleared) for c, _rc, _rg, done, inspected, cleared in rows if c == "red"]
    assert all(inspected is not None and done <= inspected for done, inspected, cleared in red if cleared)
    assert not any(
        done or inspected for c, _rc, _rg, done, inspected, _cl in rows if c == "green"
    )  # no check on the green channel
