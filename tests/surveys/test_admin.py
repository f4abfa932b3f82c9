from django.contrib import admin

from surveys.models import Answer, Invitation, Response, SurveyAdministrator
from tests.conftest import PASSWORD


def test_rows_that_link_businesses_to_answers_are_not_in_the_admin():
    for model in (Invitation, Response, Answer):
        assert not admin.site.is_registered(model)


def test_survey_admin_pages_are_for_administrators_only(client, cast, campaign):
    client.login(username="staff", password=PASSWORD)
    assert client.get("/admin/surveys/campaign/").status_code == 403
    client.login(username="admin", password=PASSWORD)
    assert client.get("/admin/surveys/campaign/").status_code == 200
    assert client.get(f"/admin/surveys/campaign/{campaign.pk}/change/").status_code == 200


def test_admin_grants_survey_administrator_only_to_department_staff(client, cast):
    client.login(username="admin", password=PASSWORD)
    url = "/admin/surveys/surveyadministrator/add/"
    refused = client.post(url, {"department": cast.department.pk, "user": cast.users.leader.pk})
    assert refused.status_code == 200 and not SurveyAdministrator.objects.exists()
    granted = client.post(url, {"department": cast.department.pk, "user": cast.users.staff.pk})
    assert granted.status_code == 302
    assert SurveyAdministrator.objects.filter(user=cast.users.staff, department=cast.department).exists()
