"""A department's calendar (swap days, days off, office hours) and its charter commitments: defaults for
every department, the calendar as core.working_time reads it, and who may edit them in the admin."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.test import Client

from core.working_time import STATUTORY, is_working_day, working_hours_between
from directory.calendar import department_calendar
from directory.models import CHARTER_DEFAULTS, AuditEvent, CalendarDay, CharterCommitment, Department
from tests.conftest import make_user

D = datetime.date
CHARTER = {
    "registration": (30, "minutes"),
    "document_check": (2, "working_hours"),
    "physical_inspection": (8, "working_hours"),
    "tax_exemption": (10, "working_days"),
    "inquiry_reply": (5, "working_days"),
}


def commitments(department) -> dict:
    return {c.code: (c.limit, c.unit) for c in CharterCommitment.objects.filter(department=department)}


def test_a_new_department_commits_to_the_charter_defaults(db):
    department = Department.objects.create(code="HP", name="Cục Hải quan Hải Phòng")
    assert (
        commitments(department)
        == CHARTER
        == {code: (limit, str(unit)) for code, (limit, unit) in CHARTER_DEFAULTS.items()}
    )
    department.name = "Chi cục Hải quan khu vực III"
    department.save()  # saving again adds nothing
    assert CharterCommitment.objects.filter(department=department).count() == 5


def test_the_migration_gives_existing_departments_the_defaults_and_keeps_their_own(db):
    department = Department.objects.create(code="HP", name="Cục Hải quan Hải Phòng")
    CharterCommitment.objects.filter(department=department, code="document_check").update(limit=1)
    CharterCommitment.objects.filter(department=department).exclude(code="document_check").delete()
    migration = importlib.import_module("directory.migrations.0004_calendar_and_charter")
    migration.create_default_commitments(django_apps, None)
    assert commitments(department) == {**CHARTER, "document_check": (1, "working_hours")}


def test_a_commitment_is_unique_per_department_and_positive(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        CharterCommitment.objects.create(department=cast.department, code="registration", limit=15, unit="minutes")
    CharterCommitment.objects.filter(department=cast.department, code="registration").delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        CharterCommitment.objects.create(department=cast.department, code="registration", limit=0, unit="minutes")


def test_a_calendar_day_is_unique_per_department_and_date(cast):
    CalendarDay.objects.create(department=cast.department, date=D(2026, 5, 9), kind="working_day")
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(department=cast.department, date=D(2026, 5, 9), kind="day_off")


def test_office_hours_must_run_in_order(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=cast.department.pk).update(morning_ends=datetime.time(14))


def test_the_department_calendar_carries_its_days_and_hours(cast):
    other = Department.objects.create(code="HP", name="Cục Hải quan Hải Phòng")
    CalendarDay.objects.create(department=cast.department, date=D(2026, 5, 9), kind="working_day", note="Làm bù")
    CalendarDay.objects.create(department=cast.department, date=D(2026, 4, 28), kind="day_off", note="Nghỉ bù")
    CalendarDay.objects.create(department=other, date=D(2026, 4, 29), kind="day_off")
    Department.objects.filter(pk=cast.department.pk).update(
        morning_starts=datetime.time(8), morning_ends=datetime.time(12), afternoon_starts=datetime.time(13)
    )
    calendar = department_calendar(cast.department.pk)
    assert is_working_day(D(2026, 5, 9), calendar) and not is_working_day(D(2026, 4, 28), calendar)
    assert is_working_day(D(2026, 4, 29), calendar)  # another department's day off
    tz = calendar.tz
    assert (
        working_hours_between(
            datetime.datetime(2026, 5, 9, 7, 30, tzinfo=tz), datetime.datetime(2026, 5, 9, 13, 30, tzinfo=tz), calendar
        )
        == 4.5
    )  # 08:00-12:00 and 13:00-13:30 on the swap Saturday
    assert department_calendar(None) == STATUTORY


def _add_day(client, department, day="2026-05-09", kind="working_day"):
    return client.post(
        "/admin/directory/calendarday/add/", {"department": department.pk, "date": day, "kind": kind, "note": "Làm bù"}
    )


def test_department_staff_edit_their_own_calendar_with_an_audit_trail(cast):
    client = Client()
    client.force_login(cast.users.staff)
    assert _add_day(client, cast.department).status_code == 302
    day = CalendarDay.objects.get(department=cast.department)
    created = AuditEvent.objects.for_object(day).get()
    assert (created.action, created.actor, created.changes["kind"]) == (
        "calendar_day.created",
        cast.users.staff,
        [None, "working_day"],
    )
    client.post(
        f"/admin/directory/calendarday/{day.pk}/change/",
        {"department": cast.department.pk, "date": "2026-05-09", "kind": "day_off", "note": "Nghỉ"},
    )
    day.refresh_from_db()
    assert day.kind == "day_off"
    assert AuditEvent.objects.for_object(day).filter(action="calendar_day.changed").exists()
    client.post(f"/admin/directory/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert not CalendarDay.objects.exists()
    assert AuditEvent.objects.filter(action="calendar_day.deleted", target_id=str(day.pk)).exists()


def test_department_staff_cannot_touch_another_department_calendar(cast):
    other = Department.objects.create(code="HP", name="Cục Hải quan Hải Phòng")
    theirs = CalendarDay.objects.create(department=other, date=D(2026, 4, 28), kind="day_off")
    client = Client()
    client.force_login(cast.users.staff)
    response = _add_day(client, other)
    assert response.status_code == 200 and not CalendarDay.objects.filter(department=other, kind="working_day").exists()
    assert client.get(f"/admin/directory/calendarday/{theirs.pk}/change/").status_code == 302  # not in their rows
    client.post(f"/admin/directory/calendarday/{theirs.pk}/delete/", {"post": "yes"})
    assert CalendarDay.objects.filter(pk=theirs.pk).exists()


def test_other_roles_do_not_edit_calendars_and_staff_only_change_commitments(cast):
    client = Client()
    client.force_login(make_user("leader_staff", "branch_leader", branch=cast.branch_a, is_staff=True))
    assert _add_day(client, cast.department).status_code in (302, 403)
    assert not CalendarDay.objects.exists()

    client.force_login(cast.users.staff)
    commitment = CharterCommitment.objects.get(department=cast.department, code="document_check")
    url = f"/admin/directory/chartercommitment/{commitment.pk}/change/"
    assert client.post(url, {"limit": 1, "unit": "working_hours"}).status_code == 302
    commitment.refresh_from_db()
    assert commitment.limit == 1
    assert AuditEvent.objects.for_object(commitment).get().changes == {"limit": [2, 1]}
    assert client.get("/admin/directory/chartercommitment/add/").status_code == 403
    assert (
        client.post(f"/admin/directory/chartercommitment/{commitment.pk}/delete/", {"post": "yes"}).status_code == 403
    )
