"""`manage.py seed_demo` at a small scale: what it builds, that it is deterministic, that a rerun changes nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.test import Client

from directory.choices import Role
from directory.demo import month_anchor, months_before
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
from feedback.demo import plan_declarations
from feedback.models import Declaration, DeclarationOfficer

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
    }


def wipe() -> None:
    for model in (DeclarationOfficer, Declaration, BusinessMembership, AuditEvent, User, TeamMembership, Officer):
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

    businesses = list(Business.objects.all())
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
    # The newest are not cleared yet, and nothing clears after the anchor of the run.
    pending = declarations.filter(cleared_at__isnull=True)
    assert pending.exists()
    assert pending.order_by("registered_at").first().registered_at >= (
        declarations.filter(cleared_at__isnull=False).order_by("registered_at").last().registered_at
        - datetime.timedelta(days=3)
    )
    assert not declarations.filter(cleared_at__gte=month_anchor()).exists()
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

    now = plan_declarations(department, businesses, scale=0.02, anchor=anchor)
    month_ago = plan_declarations(department, businesses, scale=0.02, anchor=earlier_anchor)

    overlap_start = now[0]["registered_at"].date()
    settled = earlier_anchor - datetime.timedelta(days=3)  # a month ago these were still pending
    older = [i for i in month_ago if overlap_start <= i["registered_at"].date() and i["registered_at"] < settled]
    by_number = {item["number"]: item for item in now}
    assert older and all(by_number[item["number"]] == item for item in older)


@pytest.mark.django_db
def test_demo_accounts_have_their_roles_and_sign_in_only_in_debug(settings):
    seed()
    users = User.objects.in_bulk(field_name="username")

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
    assert all(Client().login(username=name, password="demo") for name in users)
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
