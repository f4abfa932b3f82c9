"""The public questionnaire reached by an invitation code: no login, one page per component index,
saved on every page, a review page, one submission; polite pages for used, closed and unknown codes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import codes
from surveys.choices import QuestionKind
from surveys.forms import field_name
from surveys.models import Answer, Response
from surveys.services import invitations

pytestmark = pytest.mark.django_db


def page_url(code, step):
    return reverse("surveys:answer-page", kwargs={"code": code, "step": step})


def first_component_post(campaign, units, *, level="4", action="next"):
    """A full, valid answer to every question of part 1 about each unit."""
    component = campaign.components.order_by("position").first()
    data = {"action": action}
    for question in component.questions.all():
        for unit in units:
            name = field_name(question.pk, unit.pk)
            if question.kind == QuestionKind.AGREEMENT_5:
                data[name] = level
            elif question.kind == QuestionKind.YES_NO:
                data[name] = "1"
            elif question.kind == QuestionKind.NUMBER:
                data[name] = "2,5"
            else:
                data[name] = question.choices[0]["value"]
    return component, data


def test_answer_link_built_by_services_opens_the_start_page(client, cast, invited):
    url = invitations.answer_url(invited.code_x)
    assert url.endswith(reverse("surveys:answer", kwargs={"code": invited.code_x}))

    response = client.get(reverse("surveys:answer", kwargs={"code": invited.code_x}))

    assert response.status_code == 200
    html = response.content.decode()
    assert cast.business_x.name in html
    assert cast.branch_a.name in html and cast.branch_b.name in html
    # Nothing of the business beyond its own name.
    assert cast.business_x.tax_code not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    invited.x.refresh_from_db()
    assert invited.x.opened_at is not None


def test_a_code_typed_with_dashes_and_lower_case_is_redirected_to_its_canonical_link(client, invited):
    typed = codes.format_code(invited.code_x).lower()

    response = client.get(reverse("surveys:answer", kwargs={"code": typed}))

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:answer", kwargs={"code": invited.code_x})


def test_part_page_shows_progress_and_every_question_for_each_unit(client, cast, invited, open_campaign):
    response = client.get(page_url(invited.code_x, 3))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Part 3/8" in html
    assert 'aria-live="polite"' in html
    component = open_campaign.components.get(position=3)
    for question in component.questions.all():
        assert question.text_en in html
        assert f'name="{field_name(question.pk, cast.branch_a.pk)}"' in html
        assert f'name="{field_name(question.pk, cast.branch_b.pk)}"' in html
    radios = component.questions.exclude(kind=QuestionKind.NUMBER).count()
    # A fieldset per question, and inside it one per unit for questions answered by radio buttons.
    assert html.count("<fieldset") == component.questions.count() + 2 * radios


def test_next_saves_the_page_about_each_unit_and_goes_on(client, cast, invited, open_campaign):
    component, data = first_component_post(open_campaign, [cast.branch_a, cast.branch_b])

    response = client.post(page_url(invited.code_x, 1), data)

    assert response.status_code == 302
    assert response["Location"] == page_url(invited.code_x, 2)
    for unit in (cast.branch_a, cast.branch_b):
        saved = Answer.objects.filter(response__invitation=invited.x, response__unit=unit)
        assert saved.count() == component.questions.count()


def test_back_saves_too_and_returns_to_the_previous_part(client, cast, invited, open_campaign):
    _component, data = first_component_post(open_campaign, [cast.branch_a], action="back")

    response = client.post(page_url(invited.code_x, 1), data)

    assert response.status_code == 302
    assert "intro=1" in response["Location"]
    assert Response.objects.filter(invitation=invited.x).count() == 1  # only the unit answered


def test_an_invalid_number_is_shown_beside_its_question_and_nothing_is_saved(client, cast, invited, open_campaign):
    number = open_campaign.questions.filter(kind=QuestionKind.NUMBER).order_by("component__position").first()
    step = number.component.position

    response = client.post(
        page_url(invited.code_x, step), {"action": "next", field_name(number.pk, cast.branch_a.pk): "two hours"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a number, zero or more." in html
    assert f'href="#question-{number.pk}"' in html
    assert not Answer.objects.filter(response__invitation=invited.x).exists()


def test_coming_back_with_the_link_lands_on_the_first_unfinished_part_with_answers_kept(
    client, cast, invited, open_campaign
):
    for step in (1, 2):
        component = open_campaign.components.get(position=step)
        data = {"action": "next"}
        for question in component.questions.all():
            for unit in (cast.branch_a, cast.branch_b):
                data[field_name(question.pk, unit.pk)] = _valid(question)
        assert client.post(page_url(invited.code_x, step), data).status_code == 302

    response = client.get(reverse("surveys:answer", kwargs={"code": invited.code_x}))

    assert response.status_code == 302
    assert response["Location"] == page_url(invited.code_x, 3)
    page = client.get(page_url(invited.code_x, 1)).content.decode()
    agreement = open_campaign.components.get(position=1).questions.filter(kind=QuestionKind.AGREEMENT_5).first()
    # The scale runs 5 -> 1: level 4 is the second radio.
    assert f'value="4" id="id_{field_name(agreement.pk, cast.branch_a.pk)}_1" checked' in page


def _valid(question):
    return {
        QuestionKind.AGREEMENT_5: "4",
        QuestionKind.YES_NO: "1",
        QuestionKind.NUMBER: "3",
    }.get(question.kind) or question.choices[0]["value"]


def _answer_everything(client, campaign, code, units, level_for=lambda index: str(index % 5 + 1)):
    for component in campaign.components.order_by("position"):
        data = {"action": "next"}
        for index, question in enumerate(component.questions.all()):
            for unit in units:
                value = _valid(question)
                if question.kind == QuestionKind.AGREEMENT_5:
                    value = level_for(index)
                data[field_name(question.pk, unit.pk)] = value
        assert client.post(page_url(code, component.position), data).status_code == 302


def test_review_lists_answers_and_submit_counts_then_the_link_says_it_was_used(client, cast, invited, open_campaign):
    _answer_everything(client, open_campaign, invited.code_y, [cast.branch_b])
    review_url = reverse("surveys:answer-review", kwargs={"code": invited.code_y})

    review = client.get(review_url)
    assert review.status_code == 200
    assert "Strongly agree" in review.content.decode() or "Agree" in review.content.decode()

    response = client.post(review_url, {"action": "submit", f"comment-u{cast.branch_b.pk}": "Nhanh, tận tình."})

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:answer-done", kwargs={"code": invited.code_y})
    assert "Thank you" in client.get(response["Location"]).content.decode()
    saved = Response.objects.get(invitation=invited.y)
    assert saved.is_valid and saved.submitted_at and saved.comment == "Nhanh, tận tình."
    again = client.get(reverse("surveys:answer", kwargs={"code": invited.code_y}))
    assert again.status_code == 200
    assert "already been submitted" in again.content.decode()
    # Posting to a part after submission changes nothing.
    before = Answer.objects.filter(response=saved).count()
    assert "already been submitted" in client.post(page_url(invited.code_y, 1), {"action": "next"}).content.decode()
    assert Answer.objects.filter(response=saved).count() == before


def test_submit_with_nothing_answered_says_so(client, invited):
    response = client.post(reverse("surveys:answer-review", kwargs={"code": invited.code_y}), {"action": "submit"})

    assert response.status_code == 200
    assert "Answer at least one question before submitting." in response.content.decode()
    invited.y.refresh_from_db()
    assert invited.y.submitted_at is None


def test_unknown_code_gets_a_gentle_404(client, invited):
    response = client.get(reverse("surveys:answer", kwargs={"code": "A" * 20}))

    assert response.status_code == 404
    assert "We could not find this questionnaire" in response.content.decode()
    assert client.get(page_url("nonsense", 1)).status_code == 404


def test_after_the_close_date_the_link_says_the_survey_is_closed(client, invited, open_campaign):
    open_campaign.close_on = timezone.localdate() - datetime.timedelta(days=1)
    open_campaign.save(update_fields=["close_on"])

    for url in (reverse("surveys:answer", kwargs={"code": invited.code_x}), page_url(invited.code_x, 1)):
        response = client.get(url)
        assert response.status_code == 200
        assert "This survey is closed" in response.content.decode()


def test_a_regenerated_code_replaces_the_old_link(client, invited, surveyor):
    new_code = invitations.regenerate_code(invited.x, actor=surveyor)

    assert client.get(reverse("surveys:answer", kwargs={"code": invited.code_x})).status_code == 404
    assert client.get(reverse("surveys:answer", kwargs={"code": new_code})).status_code == 200


def test_questionnaire_is_in_vietnamese_by_default_and_english_after_the_switch(
    client, vietnamese_default, invited, open_campaign
):
    question = open_campaign.components.get(position=1).questions.first()

    vietnamese = client.get(page_url(invited.code_x, 1)).content.decode()
    assert question.text_vi in vietnamese
    assert 'lang="vi"' in vietnamese

    switched = client.post(reverse("set-language"), {"language": "en", "next": page_url(invited.code_x, 1)})
    assert switched["Location"] == page_url(invited.code_x, 1)
    english = client.get(page_url(invited.code_x, 1)).content.decode()
    assert question.text_en in english
    assert 'lang="en"' in english


def test_a_part_outside_the_questionnaire_is_404(client, invited):
    assert client.get(page_url(invited.code_x, 9)).status_code == 404
    assert client.get(page_url(invited.code_x, 0)).status_code == 404
