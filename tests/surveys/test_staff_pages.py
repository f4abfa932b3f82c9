"""Staff pages of CDCI surveys: campaigns, weights, opening and closing, invitations (survey
administrators only), review of straight-lined responses, monitoring. Out of scope is 404; in scope but
not allowed is 403."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from directory.models import OutboxMessage
from surveys.choices import CampaignStatus, Segment
from surveys.models import Campaign, Invitation
from surveys.services import answering, campaigns, emails, invitations
from tests.conftest import make_user
from tests.surveys.conftest import YEAR, declare, full_answers, make_businesses

pytestmark = pytest.mark.django_db

OUTSIDERS = ["leader", "other_leader", "team_leader", "officer", "business", "integration"]


def login(client, user):
    client.force_login(user)
    return client


def url(name, campaign=None, **kwargs):
    if campaign is not None:
        kwargs["pk"] = campaign.pk
    return reverse(f"surveys:{name}", kwargs=kwargs)


# --- who may see what ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, campaign):
    for address in (url("campaign-list"), url("campaign-detail", campaign), url("progress", campaign)):
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", OUTSIDERS)
def test_users_of_rated_units_and_businesses_get_403_on_the_list_and_404_on_a_campaign(client, cast, campaign, role):
    login(client, getattr(cast.users, role))

    assert client.get(url("campaign-list")).status_code == 403
    assert client.get(url("campaign-create")).status_code == 403
    for name in ("campaign-detail", "invitation-list", "progress", "progress-json", "review-list", "paper"):
        assert client.get(url(name, campaign)).status_code == 404, name
    assert client.post(url("campaign-status", campaign, action="open")).status_code == 404


def test_staff_of_another_department_get_404(client, cast, campaign):
    from directory.models import Department

    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    login(client, make_user("ls_staff", "department_staff", department=other))

    assert client.get(url("campaign-list")).status_code == 200
    assert campaign.title not in client.get(url("campaign-list")).content.decode()
    assert client.get(url("campaign-detail", campaign)).status_code == 404


def test_staff_without_the_survey_administrator_capability_cannot_see_invitations(client, cast, invited, open_campaign):
    login(client, cast.users.staff)

    assert client.get(url("campaign-detail", open_campaign)).status_code == 200
    assert "Invitations" not in client.get(url("campaign-detail", open_campaign)).content.decode()
    for name in ("invitation-list", "invitation-letters"):
        assert client.get(url(name, open_campaign)).status_code == 403
    assert client.post(url("invitation-action", open_campaign, action="build")).status_code == 403
    assert client.post(url("invitation-regenerate", open_campaign, invitation_id=invited.x.pk)).status_code == 403


# --- campaigns ------------------------------------------------------------------------------------------


def test_campaign_list_shows_counts_in_a_bounded_number_of_queries(
    client, cast, invited, open_campaign, django_assert_max_num_queries
):
    for year in (2021, 2022, 2023):
        campaigns.create_campaign(cast.department, year, actor=cast.users.staff)
    login(client, cast.users.staff)

    with django_assert_max_num_queries(8):
        response = client.get(url("campaign-list"))

    assert response.status_code == 200
    listed = list(response.context["campaigns"])
    assert len(listed) == 4
    current = next(c for c in listed if c.pk == open_campaign.pk)
    assert current.invitation_count == 2 and current.valid_count == 0


def test_create_a_campaign_copying_last_years_questionnaire(client, cast, open_campaign):
    login(client, cast.users.staff)

    response = client.post(
        url("campaign-create"),
        {
            "department": cast.department.pk,
            "year": YEAR + 1,
            "title": "",
            "open_on": f"{YEAR + 1}-11-01",
            "close_on": f"{YEAR + 1}-12-31",
            "copy_from": open_campaign.pk,
        },
    )

    created = Campaign.objects.get(year=YEAR + 1)
    assert response.status_code == 302 and response["Location"] == url("campaign-detail", created)
    assert created.status == CampaignStatus.DRAFT
    assert created.questions.count() == open_campaign.questions.count()


def test_create_a_campaign_for_a_year_that_has_one_shows_the_error(client, cast, campaign):
    login(client, cast.users.staff)

    response = client.post(
        url("campaign-create"),
        {"department": cast.department.pk, "year": YEAR, "open_on": f"{YEAR}-11-01", "close_on": f"{YEAR}-12-31"},
    )

    assert response.status_code == 200
    assert f"already has a campaign for {YEAR}" in response.content.decode()


def test_weights_not_summing_to_100_are_refused_with_the_error_and_nothing_changes(client, cast, campaign):
    login(client, cast.users.staff)
    codes = list(campaign.components.order_by("position").values_list("code", flat=True))
    data = dict.fromkeys(codes, "12.5")
    data[codes[0]] = "20"

    response = client.post(url("campaign-weights", campaign), data)

    assert response.status_code == 200
    assert "must sum to 100% (now 107.50%)" in response.content.decode()
    assert campaigns.weights_total(campaign) == 100


def test_weights_summing_to_100_are_saved_and_the_campaign_opens_then_closes(client, cast, campaign):
    login(client, cast.users.staff)
    codes = list(campaign.components.order_by("position").values_list("code", flat=True))
    data = dict.fromkeys(codes, "10")
    data[codes[0]], data[codes[1]] = "20", "20"

    assert client.post(url("campaign-weights", campaign), data).status_code == 302
    assert campaign.components.get(code=codes[0]).weight == 20

    client.post(url("campaign-status", campaign, action="open"))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    assert client.get(url("campaign-weights", campaign)).status_code == 302  # no change once open

    client.post(url("campaign-status", campaign, action="close"), {"reason": "Đủ phản hồi", "confirm_early": "1"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED


def test_opening_a_campaign_whose_weights_are_wrong_shows_why(client, cast, campaign):
    campaign.components.filter(position=1).update(weight=50)
    login(client, cast.users.staff)

    response = client.post(url("campaign-status", campaign, action="open"), follow=True)

    assert "must sum to 100%" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_campaign_detail_shows_the_questionnaire(client, cast, campaign):
    login(client, cast.users.staff)

    html = client.get(url("campaign-detail", campaign)).content.decode()

    question = campaign.questions.order_by("component__position", "position").first()
    assert question.text_en in html and question.code in html


# --- invitations ------------------------------------------------------------------------------------------


def test_survey_administrator_sees_the_invitations_with_businesses(client, cast, invited, open_campaign, surveyor):
    login(client, surveyor)

    response = client.get(url("invitation-list", open_campaign))

    assert response.status_code == 200
    html = response.content.decode()
    assert cast.business_x.name in html and cast.business_x.tax_code in html
    assert invited.code_x not in html  # codes only in the letters file or once when issued


def test_invitation_list_queries_do_not_grow_with_invitations(
    client, cast, open_campaign, surveyor, django_assert_max_num_queries
):
    for business in make_businesses(30, start=900):
        declare(business, cast.branch_a)
        declare(business, cast.branch_b)
    invitations.build_invitations(open_campaign, actor=surveyor)
    login(client, surveyor)

    with django_assert_max_num_queries(12):
        response = client.get(url("invitation-list", open_campaign))

    assert response.status_code == 200
    assert len(response.context["invitations"]) == 30


def test_build_add_regenerate_and_remove_invitations(client, cast, open_campaign, surveyor):
    declare(cast.business_x, cast.branch_a)
    login(client, surveyor)

    client.post(url("invitation-action", open_campaign, action="build"))
    assert open_campaign.invitations.filter(business=cast.business_x).exists()

    response = client.post(
        url("invitation-add", open_campaign), {"tax_code": cast.business_y.tax_code, "units": [cast.branch_b.pk]}
    )
    assert response.status_code == 200
    added = open_campaign.invitations.get(business=cast.business_y)
    assert added.added_manually
    shown = response.context["code"].replace("-", "")
    assert answering.invitation_for_code(shown) == added

    regenerated = client.post(url("invitation-regenerate", open_campaign, invitation_id=added.pk))
    new_code = regenerated.context["code"].replace("-", "")
    assert new_code != shown
    assert answering.invitation_for_code(shown) is None
    assert answering.invitation_for_code(new_code) == added

    client.post(url("invitation-remove", open_campaign, invitation_id=added.pk))
    assert not open_campaign.invitations.filter(business=cast.business_y).exists()


def test_add_invitation_with_an_unknown_tax_code_or_three_units_shows_errors(client, cast, open_campaign, surveyor):
    login(client, surveyor)

    response = client.post(url("invitation-add", open_campaign), {"tax_code": "0100109106", "units": []})

    assert response.status_code == 400
    html = response.content.decode()
    assert "No business has this tax code." in html
    assert "This field is required." in html
    assert not open_campaign.invitations.exists()


def test_letters_file_has_the_business_codes_and_links(client, cast, invited, open_campaign, surveyor):
    login(client, surveyor)

    response = client.get(url("invitation-letters", open_campaign))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("Business", "Tax code", "Segment", "Units to rate", "E-mail", "Code", "Link")
    by_tax_code = {row[1]: row for row in rows[1:]}
    row_x = by_tax_code[cast.business_x.tax_code]
    assert row_x[5].replace("-", "") == invited.code_x
    assert row_x[6] == invitations.answer_url(invited.code_x)
    assert cast.branch_a.name in row_x[3] and cast.branch_b.name in row_x[3]
    assert sheet.freeze_panes == "B2"


def test_send_buttons_queue_the_tasks_after_commit(
    client, cast, invited, open_campaign, surveyor, django_capture_on_commit_callbacks
):
    cast.business_x.email = "xnk@example.vn"
    cast.business_x.save(update_fields=["email"])
    login(client, surveyor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url("invitation-action", open_campaign, action="send"))

    assert callbacks
    assert OutboxMessage.objects.filter(to_email="xnk@example.vn", kind=emails.INVITATION_KIND).count() == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("invitation-action", open_campaign, action="remind"), follow=True)
    assert callbacks
    assert "Reminders are being sent" in response.content.decode()


# --- review and monitoring ----------------------------------------------------------------------------------


@pytest.fixture
def straight_lined(cast, invited, open_campaign):
    answering.save_answers(invited.y, cast.branch_b, full_answers(open_campaign, varied=False))
    answering.submit(invited.y)
    return open_campaign.responses.get(invitation=invited.y)


def test_review_page_lists_straight_liners_without_identity_and_accept_counts_it(
    client, cast, straight_lined, open_campaign
):
    login(client, cast.users.staff)

    html = client.get(url("review-list", open_campaign)).content.decode()
    assert f"Response {straight_lined.pk} about {cast.branch_b.name}" in html
    assert cast.business_y.name not in html and cast.business_y.tax_code not in html

    client.post(url("review-decide", open_campaign, response_id=straight_lined.pk), {"decision": "accept"})
    straight_lined.refresh_from_db()
    assert straight_lined.is_valid and straight_lined.review_accepted
    assert "No response waits for review." in client.get(url("review-list", open_campaign)).content.decode()


def test_review_reject_keeps_it_invalid(client, cast, straight_lined, open_campaign):
    login(client, cast.users.staff)

    client.post(url("review-decide", open_campaign, response_id=straight_lined.pk), {"decision": "reject"})

    straight_lined.refresh_from_db()
    assert not straight_lined.is_valid and straight_lined.review_accepted is False


@pytest.fixture
def answered_campaign(cast, open_campaign, surveyor):
    """12 in-province and 6 out-of-province businesses invited about A; 8 in and 5 out answer."""
    inside = make_businesses(12, start=300)
    outside = make_businesses(6, in_province=False, start=400)
    for business in inside + outside:
        declare(business, cast.branch_a)
    issued = {item.invitation_id: item.code for item in invitations.build_invitations(open_campaign, actor=surveyor)}
    by_business = {invitation.business_id: invitation for invitation in open_campaign.invitations.all()}
    invitations.mark_letters_sent(open_campaign, list(issued), actor=surveyor)
    for business in inside[:8] + outside[:5]:
        invitation = by_business[business.pk]
        answering.save_answers(invitation, cast.branch_a, full_answers(open_campaign))
        answering.submit(invitation)
    return open_campaign


def test_monitoring_page_shows_sent_answered_valid_by_segment_and_unit(client, cast, answered_campaign):
    login(client, cast.users.staff)

    response = client.get(url("progress", answered_campaign))

    assert response.status_code == 200
    html = response.content.decode()
    assert "18 sent (12 in-province, 6 out-of-province), 13 valid" in html
    assert 'data-open="true"' in html
    assert response.context["progress"]["by_segment"][Segment.OUT_OF_PROVINCE]["valid"] == 5
    # Branch B has no response: nothing to hide, zeros are shown.
    by_unit = {row["unit_code"]: row for row in response.context["progress"]["by_unit"]}
    assert by_unit["MC"]["valid"] == 13 and by_unit["HG"]["valid"] == 0


def test_monitoring_summary_is_written_the_vietnamese_way(client, cast, answered_campaign, vietnamese_default):
    login(client, cast.users.staff)

    html = client.get(url("progress", answered_campaign)).content.decode()

    assert "Phần" not in html  # staff page, not the questionnaire
    assert 'lang="vi"' in html


def test_monitoring_json_for_the_page_to_refresh_itself(client, cast, answered_campaign):
    login(client, cast.users.staff)

    data = client.get(url("progress-json", answered_campaign)).json()

    assert data["summary"] == "18 sent (12 in-province, 6 out-of-province), 13 valid"
    assert data["is_open"] is True
    assert data["total"]["valid"] == 13
    assert data["response_rate"] == pytest.approx(13 / 18, abs=1e-4)


def test_monitoring_hides_counts_below_five(client, cast, invited, open_campaign):
    answering.save_answers(invited.y, cast.branch_b, full_answers(open_campaign))
    answering.submit(invited.y)
    login(client, cast.users.staff)

    response = client.get(url("progress", open_campaign))

    assert response.context["progress"]["by_segment"][Segment.IN_PROVINCE]["valid"] is None
    assert "&lt; 5" in response.content.decode()


def test_monitoring_export_opens_in_excel_with_the_same_figures(client, cast, answered_campaign):
    login(client, cast.users.staff)

    response = client.get(url("progress-export", answered_campaign))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    summary, segments, units = workbook.worksheets
    assert summary["A2"].value == "18 sent (12 in-province, 6 out-of-province), 13 valid"
    facts = {row[0]: row[1] for row in summary.iter_rows(min_row=4, values_only=True) if row[0]}
    assert facts["Sent"] == 18 and facts["Valid"] == 13
    rows = list(segments.iter_rows(values_only=True))
    assert rows[0] == ("Segment", "Invited", "Sent", "Opened", "Answered", "Valid", "Response rate")
    assert rows[1][:6] == ("In-province", 12, 12, 8, 8, 8)
    assert rows[2][:6] == ("Out-of-province", 6, 6, 5, 5, 5)
    assert segments.freeze_panes == "B2" and units.freeze_panes == "C2"
    assert segments["A1"].font.bold
    assert segments.column_dimensions["A"].width > 15
    unit_rows = {row[0]: row for row in units.iter_rows(min_row=2, values_only=True)}
    assert unit_rows["MC"][2:] == (18, 18, 13, 13, 13)


def test_staff_pages_say_nothing_of_businesses_to_staff_without_the_capability(client, cast, answered_campaign):
    login(client, cast.users.staff)
    names = list(Invitation.objects.filter(campaign=answered_campaign).values_list("business__name", flat=True))

    for name in ("campaign-detail", "progress", "review-list", "paper"):
        html = client.get(url(name, answered_campaign)).content.decode()
        assert not any(business in html for business in names), name
