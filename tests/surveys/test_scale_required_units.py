"""The questionnaire as a business meets it: the scale runs 5 -> 1 like the rating scale (web and paper),
"required" questions must be answered before a web submission, a one-unit survey names its unit, and the
new-campaign form starts from a year that has no campaign yet."""

import datetime

import lxml.html
from django.urls import reverse
from django.utils import timezone

from surveys.choices import QuestionKind
from surveys.forms import field_name, first_free_year
from surveys.models import Answer, Campaign
from surveys.paper_template import allowed_values
from surveys.services import campaigns
from tests.surveys.test_answer_pages import _answer_everything, page_url


def agreement_question(campaign):
    return campaign.components.get(position=1).questions.filter(kind=QuestionKind.AGREEMENT_5).first()


def test_the_web_survey_scale_runs_from_5_to_1_like_the_rating_scale(client, cast, invited, open_campaign):
    question = agreement_question(open_campaign)

    page = lxml.html.fromstring(client.get(page_url(invited.code_y, 1)).content.decode())

    radios = page.xpath(f"//input[@name='{field_name(question.pk, cast.branch_b.pk)}']")
    assert [radio.get("value") for radio in radios] == ["5", "4", "3", "2", "1"]


def test_the_paper_template_lists_the_scale_from_5_to_1(open_campaign):
    levels = [part.split(" = ")[0] for part in allowed_values(agreement_question(open_campaign)).split("; ")]

    assert levels == ["5", "4", "3", "2", "1"]


def test_a_web_submission_with_a_required_question_unanswered_is_refused_naming_it(
    client, cast, invited, open_campaign
):
    _answer_everything(client, open_campaign, invited.code_y, [cast.branch_b])
    skipped = open_campaign.questions.filter(required=True).order_by("component__position", "position").last()
    Answer.objects.filter(response__invitation=invited.y, question=skipped).delete()
    review_url = reverse("surveys:answer-review", kwargs={"code": invited.code_y})

    refused = client.post(review_url, {"action": "submit"})

    assert refused.status_code == 200
    assert f"{cast.branch_b.name}: answer the required questions {skipped.code} before submitting." in (
        refused.content.decode()
    )
    invited.y.refresh_from_db()
    assert invited.y.submitted_at is None
    # Answered, it goes through.
    step = skipped.component.position
    data = {"action": "next"}
    for question in skipped.component.questions.all():
        answer = Answer.objects.filter(response__invitation=invited.y, question=question).first()
        value = "4" if question.kind == QuestionKind.AGREEMENT_5 else "1"
        data[field_name(question.pk, cast.branch_b.pk)] = str(answer.value.normalize()) if answer else value
    assert client.post(page_url(invited.code_y, step), data).status_code == 302
    assert client.post(review_url, {"action": "submit"}).status_code == 302
    invited.y.refresh_from_db()
    assert invited.y.submitted_at is not None


def test_optional_questions_may_stay_blank(client, cast, invited, open_campaign):
    question = agreement_question(open_campaign)
    question.required = False
    question.save(update_fields=["required"])
    _answer_everything(client, open_campaign, invited.code_y, [cast.branch_b])
    Answer.objects.filter(response__invitation=invited.y, question=question).delete()

    response = client.post(reverse("surveys:answer-review", kwargs={"code": invited.code_y}), {"action": "submit"})

    assert response.status_code == 302


def test_a_one_unit_survey_names_its_unit_on_its_pages(client, cast, invited):
    for url in (page_url(invited.code_y, 1), reverse("surveys:answer-review", kwargs={"code": invited.code_y})):
        page = lxml.html.fromstring(client.get(url).content.decode())
        assert cast.branch_b.name in page.xpath("string(//*[contains(@class,'survey-about')])"), url


def test_a_two_unit_survey_asks_about_each_unit_instead(client, invited):
    page = lxml.html.fromstring(client.get(page_url(invited.code_x, 1)).content.decode())

    assert not page.xpath("//*[contains(@class,'survey-about')]")


def test_the_new_campaign_form_defaults_to_a_year_without_a_campaign_and_submits_as_it_is(client, cast):
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        campaigns.create_campaign(cast.department, year, actor=cast.users.staff)
    client.force_login(cast.users.staff)

    form = client.get(reverse("surveys:campaign-create")).context["form"]
    defaults = {name: form[name].value() for name in form.fields}

    assert defaults["year"] == this_year + 2
    assert defaults["open_on"] == datetime.date(this_year + 2, 11, 1)
    response = client.post(
        reverse("surveys:campaign-create"),
        {
            key: value.isoformat() if isinstance(value, datetime.date) else (value or "")
            for key, value in defaults.items()
        },
    )
    assert response.status_code == 302
    assert Campaign.objects.filter(department=cast.department, year=this_year + 2).exists()


def test_the_first_free_year_looks_at_the_users_departments_only(cast):
    this_year = timezone.localdate().year
    campaigns.create_campaign(cast.department, this_year, actor=cast.users.staff)

    assert first_free_year([cast.department], this_year) == this_year + 1
    assert first_free_year([], this_year) == this_year
