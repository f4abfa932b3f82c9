"""The guards of a defensible CDCI: the method is fixed while the campaign is a draft and locked once it
opens; computations follow it; an early close needs a reason and can be undone until a computation
starts; publishing needs the checklist confirmed and refuses a campaign with fewer than 3 rankable units."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cdci import services as cdci_services
from cdci.models import AssessmentPolicy, CdciMethod, CdciPublication, CdciRun
from directory.models import AuditEvent, Branch
from surveys import services as survey_services
from surveys.choices import CampaignStatus
from surveys.models import Campaign

from .contract import contract_result, stored_draft, stored_publication
from .test_pages import client_for

YEAR = 2025


@pytest.fixture
def draft_campaign(cast):
    today = timezone.localdate()
    return survey_services.create_campaign(
        cast.department,
        YEAR,
        actor=None,
        open_on=today - datetime.timedelta(days=1),
        close_on=today + datetime.timedelta(days=20),
    )


@pytest.fixture
def open_campaign(draft_campaign):
    return survey_services.open_campaign(draft_campaign, actor=None)


# --- the method ------------------------------------------------------------------------------------------------


def test_a_campaign_gets_the_default_method(draft_campaign):
    assert CdciMethod.objects.filter(campaign=draft_campaign).exists()  # stored from the campaign's first day
    method = cdci_services.method_of(draft_campaign)
    assert (method.normalisation, method.business_weight, method.assessment_policy) == ("fixed", 70, "survey_alone")
    assert (method.replicates, method.min_respondents, method.component_weights) == (1000, 10, None)
    options = cdci_services.method_options(draft_campaign)
    assert options.min_respondents == 10 and options.confidence == 0.95 and options.assessment_weight == 30


def test_staff_change_the_method_of_a_draft_campaign_audited(cast, draft_campaign):
    codes = list(draft_campaign.components.values_list("code", flat=True))
    weights = {code: 100 / len(codes) for code in codes}
    weights[codes[0]] += 100 - sum(weights.values())
    method = cdci_services.update_method(
        draft_campaign,
        {"business_weight": 80, "min_respondents": 15, "normalisation": "minmax"},
        actor=cast.users.staff,
    )
    assert (method.business_weight, method.min_respondents, method.normalisation) == (80, 15, "minmax")
    event = AuditEvent.objects.for_object(method).get(action="cdci.method_changed")
    assert event.actor == cast.users.staff
    assert event.changes["before"]["business_weight"] == 70 and event.changes["after"]["business_weight"] == 80


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"replicates": 200}, "replicates"),
        ({"min_respondents": 3}, "min_respondents"),
        ({"confidence": 1}, "confidence"),
        ({"business_weight": 120}, "business_weight"),
        ({"component_weights": {"C1": 100}}, "component_weights"),
        ({"component_weights": {"C1": float("nan")}}, "component_weights"),
    ],
)
def test_an_invalid_method_is_refused(cast, draft_campaign, changes, field):
    if field == "component_weights" and len(changes[field]) == 1:
        codes = list(draft_campaign.components.values_list("code", flat=True))
        changes = {field: {**dict.fromkeys(codes, 0), **changes[field], codes[-1]: 10}}
    with pytest.raises(ValidationError):
        cdci_services.update_method(draft_campaign, changes, actor=cast.users.staff)
    assert not AuditEvent.objects.filter(action="cdci.method_changed").exists()


def test_the_method_is_locked_once_the_campaign_opens(cast, open_campaign):
    with pytest.raises(ValidationError, match="locked"):
        cdci_services.update_method(open_campaign, {"business_weight": 50}, actor=cast.users.staff)
    assert cdci_services.method_of(open_campaign).business_weight == 70

    client = client_for(cast.users.staff)
    page = client.get(reverse("cdci:cdci-method", args=[open_campaign.pk]))
    assert page.status_code == 200 and b"the method is locked" in page.content
    assert b"Save the method" not in page.content
    client.post(reverse("cdci:cdci-method", args=[open_campaign.pk]), {"business_weight": "50"})
    assert CdciMethod.objects.get(campaign=open_campaign).business_weight == 70


def test_staff_set_the_method_on_its_page_while_the_campaign_is_a_draft(cast, draft_campaign):
    client = client_for(cast.users.staff)
    url = reverse("cdci:cdci-method", args=[draft_campaign.pk])
    form = client.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data |= {"business_weight": "60", "replicates": "2000", "three_year_bounds": ""}
    assert client.post(url, data).status_code == 302
    method = CdciMethod.objects.get(campaign=draft_campaign)
    assert (method.business_weight, method.replicates, method.component_weights) == (60, 2000, None)

    data["replicates"] = "300"
    refused = client.post(url, data)
    assert refused.status_code == 200 and "1,000" in refused.content.decode()


def test_only_department_staff_change_the_method(cast, draft_campaign):
    with pytest.raises(PermissionDenied):
        cdci_services.update_method(draft_campaign, {"business_weight": 50}, actor=cast.users.leader)
    assert client_for(cast.users.leader).get(reverse("cdci:cdci-method", args=[draft_campaign.pk])).status_code == 404


def test_a_person_cannot_compute_with_another_method(cast, draft_campaign):
    Campaign.objects.filter(pk=draft_campaign.pk).update(status=CampaignStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        cdci_services.start_run(draft_campaign, actor=cast.users.staff, options=cdci_services.RunOptions(replicates=0))
    run = cdci_services.start_run(draft_campaign, actor=cast.users.staff)
    assert run.settings["replicates"] == 1000 and run.settings["min_respondents"] == 10
    assert run.settings["assessment_policy"] == "survey_alone"


def test_a_method_requiring_assessments_refuses_to_compute_without_them(cast, draft_campaign):
    cdci_services.update_method(
        draft_campaign, {"assessment_policy": AssessmentPolicy.REQUIRED}, actor=cast.users.staff
    )
    Campaign.objects.filter(pk=draft_campaign.pk).update(status=CampaignStatus.CLOSED)
    with pytest.raises(ValidationError, match="assessment of every unit"):
        cdci_services.start_run(draft_campaign, actor=cast.users.staff)
    assert not CdciRun.objects.exists()


# --- closing early and undoing it --------------------------------------------------------------------------------


def test_closing_before_the_end_date_needs_a_reason_and_is_audited(cast, open_campaign):
    with pytest.raises(ValidationError, match="reason"):
        survey_services.close_campaign(open_campaign, actor=cast.users.staff)
    survey_services.close_campaign(open_campaign, actor=cast.users.staff, reason="Đủ số phản hồi")
    event = AuditEvent.objects.for_object(open_campaign).get(action="survey.campaign_closed")
    assert event.changes["early"] is True and event.changes["reason"] == "Đủ số phản hồi"


def test_the_close_page_asks_for_confirmation_before_the_end_date(cast, open_campaign):
    client = client_for(cast.users.staff)
    url = reverse("surveys:campaign-status", args=[open_campaign.pk, "close"])
    client.post(url, {"reason": "Đủ"})
    open_campaign.refresh_from_db()
    assert open_campaign.status == CampaignStatus.OPEN
    detail = client.get(reverse("surveys:campaign-detail", args=[open_campaign.pk])).content.decode()
    assert "I confirm closing the campaign before its end date." in detail

    client.post(url, {"reason": "Đủ", "confirm_early": "1"})
    open_campaign.refresh_from_db()
    assert open_campaign.status == CampaignStatus.CLOSED
    detail = client.get(reverse("surveys:campaign-detail", args=[open_campaign.pk])).content.decode()
    assert reverse("cdci:cdci-campaign", args=[open_campaign.pk]) in detail and "Undo the early close" in detail


def test_an_early_close_is_undone_until_a_computation_starts(cast, open_campaign):
    survey_services.close_campaign(open_campaign, actor=cast.users.staff, reason="Nhầm")
    client = client_for(cast.users.staff)
    assert b"Reopen the survey" in client.get(reverse("cdci:cdci-campaign", args=[open_campaign.pk])).content
    assert client.post(reverse("cdci:cdci-reopen", args=[open_campaign.pk]), {"reason": "Nhầm"}).status_code == 302
    open_campaign.refresh_from_db()
    assert open_campaign.status == CampaignStatus.OPEN
    event = AuditEvent.objects.for_object(open_campaign).get(action="survey.campaign_reopened")
    assert event.actor == cast.users.staff and event.changes["reason"] == "Nhầm"

    survey_services.close_campaign(open_campaign, actor=cast.users.staff, reason="Đủ")
    cdci_services.start_run(open_campaign, actor=cast.users.staff)
    with pytest.raises(ValidationError, match="computation"):
        cdci_services.reopen_campaign(open_campaign, actor=cast.users.staff)
    assert not cdci_services.can_reopen(open_campaign)


def test_only_staff_reopen(cast, open_campaign):
    survey_services.close_campaign(open_campaign, actor=None, reason="Đủ")
    with pytest.raises(PermissionDenied):
        cdci_services.reopen_campaign(open_campaign, actor=cast.users.leader)


# --- the publication checklist ------------------------------------------------------------------------------------


@pytest.fixture
def branches(cast):
    extra = [
        Branch.objects.create(department=cast.department, code=code, name=f"Chi cục {code}")
        for code in ("CL", "VG", "BL")
    ]
    return [cast.branch_a, cast.branch_b, *extra]


@pytest.fixture
def closed(cast, draft_campaign):
    Campaign.objects.filter(pk=draft_campaign.pk).update(status=CampaignStatus.CLOSED)
    draft_campaign.refresh_from_db()
    return draft_campaign


def test_publishing_needs_the_checklist_confirmed(cast, closed, branches):
    run = stored_draft(closed, contract_result(branches))
    with pytest.raises(ValidationError, match="checklist"):
        cdci_services.publish_draft(run, actor=cast.users.staff, note="Công bố")
    # A unit below the minimum is a warning: it needs publishing despite the warnings.
    with pytest.raises(ValidationError, match="under-sampled"):
        cdci_services.publish_draft(run, actor=cast.users.staff, note="Công bố", confirmed=True)
    assert not CdciPublication.objects.exists()


def test_fewer_than_3_rankable_units_cannot_be_published(cast, closed, branches):
    result = contract_result(branches)
    result["units"] = result["units"][:2]
    run = stored_draft(closed, result)
    checklist = cdci_services.publication_checklist(run)
    assert checklist.rankable == 2 and checklist.blocking
    with pytest.raises(ValidationError, match="at least 3"):
        cdci_services.publish_draft(run, actor=cast.users.staff, note="Công bố", confirmed=True, despite_warnings=True)
    client = client_for(cast.users.staff)
    page = client.get(reverse("cdci:cdci-draft", args=[closed.pk])).content.decode()
    assert "a ranking needs at least 3" in page
    response = client.post(
        reverse("cdci:cdci-publish", args=[closed.pk]),
        {"note": "Công bố", "confirmed": "on", "despite_warnings": "on"},
        follow=True,
    )
    assert "a ranking needs at least 3" in response.content.decode()
    assert not CdciPublication.objects.exists()


def test_the_checklist_reports_rates_suppression_coverage_and_method_changes(cast, closed, branches):
    result = contract_result(branches)
    checklist = cdci_services.publication_checklist(stored_draft(closed, result))
    assert checklist.rankable == 4 and checklist.not_enough == ["Chi cục BL"]
    assert {"unit": "VG", "cell": "question:C2.1"} in checklist.suppressed
    assert checklist.coverage_passed and checklist.last_year is None and checklist.method_changes == []
    assert len(checklist.warnings) == 1  # the unit below the minimum

    earlier = survey_services.create_campaign(cast.department, YEAR - 1, actor=None)
    Campaign.objects.filter(pk=earlier.pk).update(status=CampaignStatus.CLOSED)

    last = contract_result(branches)
    last["settings"] = {**last["settings"], "normalisation": "minmax", "min_respondents": 5}
    stored_publication(earlier, last)
    checklist = cdci_services.publication_checklist(CdciRun.objects.filter(campaign=closed).get())
    assert checklist.last_year == YEAR - 1
    assert {change["name"] for change in checklist.method_changes} == {"normalisation", "min_respondents"}
