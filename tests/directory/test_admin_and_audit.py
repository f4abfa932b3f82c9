import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from directory import audit
from directory.models import AuditEvent, TeamMembership
from directory.services import move_officer_to_team


def test_audit_events_cannot_be_changed_or_deleted(cast):
    event = audit.record(cast.users.admin, "test.done", cast.branch_a, {"a": 1})
    event.action = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    # Nor in bulk, through the queryset (as the case trail and the CDCI publications refuse too).
    with pytest.raises(ValidationError, match="cannot be changed"):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(ValidationError, match="cannot be deleted"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.done"


def test_moving_an_officer_closes_the_old_membership_and_audits(cast):
    officer = cast.officers.oa1
    move_officer_to_team(officer, cast.team_b1, datetime.date(2026, 3, 1), actor=cast.users.admin)

    memberships = list(TeamMembership.objects.filter(officer=officer).order_by("started_on"))
    assert [(m.team, m.ended_on) for m in memberships] == [
        (cast.team_a1, datetime.date(2026, 2, 28)),
        (cast.team_b1, None),
    ]
    officer.refresh_from_db()
    assert officer.branch == cast.branch_b
    assert AuditEvent.objects.for_object(officer).get().action == "officer.moved"


def test_two_current_memberships_are_refused_by_the_database(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMembership.objects.create(
            officer=cast.officers.oa1, team=cast.team_a2, started_on=datetime.date(2026, 1, 1)
        )


@pytest.mark.parametrize(
    ("role", "index_status", "branch_list", "user_list"),
    [
        ("admin", 200, 200, 200),
        ("staff", 200, 200, 403),  # department staff look, but never manage accounts
        ("leader", 302, 302, 302),  # not staff: sent to the admin login
        ("business", 302, 302, 302),
    ],
)
def test_admin_access_by_role(cast, role, index_status, branch_list, user_list):
    client = Client()
    client.force_login(getattr(cast.users, role))
    assert client.get("/admin/").status_code == index_status
    assert client.get("/admin/directory/branch/").status_code == branch_list
    assert client.get("/admin/directory/user/").status_code == user_list


def test_department_staff_cannot_change_in_admin(cast):
    client = Client()
    client.force_login(cast.users.staff)
    url = f"/admin/directory/branch/{cast.branch_a.pk}/change/"
    assert client.get(url).status_code == 200  # view
    client.post(url, {"department": cast.department.pk, "code": "XX", "name": "Hacked", "is_active": "on"})
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.name != "Hacked"


def test_audit_events_are_read_only_in_admin(cast):
    event = audit.record(cast.users.admin, "test.done", cast.branch_a)
    client = Client()
    client.force_login(cast.users.admin)
    assert client.get(f"/admin/directory/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/directory/auditevent/add/").status_code == 403


def test_every_admin_changelist_opens_with_search(cast):
    from django.contrib import admin

    client = Client()
    client.force_login(cast.users.admin)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("directory", "feedback", "surveys", "reports"):
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url, {"q": "x"} if model_admin.search_fields else {})
        assert response.status_code == 200, url
        assert model_admin.search_fields, f"{model.__name__} admin has no search"


def test_admin_revokes_tokens_with_audit(cast):
    from directory.models import ApiToken
    from directory.services import issue_api_token

    token, _key = issue_api_token(cast.users.integration, "ci")
    client = Client()
    client.force_login(cast.users.admin)
    client.post("/admin/directory/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.for_object(token).filter(action="api_token.revoked", actor=cast.users.admin).exists()
