from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from directory.models import AuditEvent, Branch
from surveys import default_template
from surveys.choices import CampaignStatus, Direction, QuestionKind
from surveys.models import Campaign, ComponentIndex, Question
from surveys.services import campaigns

from .conftest import YEAR


def test_default_template_has_eight_components_of_equal_weight_and_about_forty_questions():
    components = default_template.COMPONENTS
    assert len(components) == 8
    assert default_template.DEFAULT_WEIGHT * len(components) == Decimal(100)
    questions = [q for c in components for q in c["questions"]]
    assert len(questions) == 40
    assert len({q["code"] for q in questions}) == 40
    assert {q["kind"] for q in questions} == set(QuestionKind.values)
    assert all(q["text_vi"] and q["text_en"] for q in questions)
    informal = next(c for c in components if c["code"] == "C4")
    assert any(q["direction"] == Direction.NEGATIVE for q in informal["questions"])
    for question in questions:
        if question["kind"] == QuestionKind.SINGLE_CHOICE:
            assert question["choices"] and all("score" in choice for choice in question["choices"])
        else:
            assert question["choices"] == []


def test_create_campaign_from_default_template_rates_active_branches(cast, campaign):
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.components.count() == 8
    assert campaign.questions.count() == 40
    assert campaigns.weights_total(campaign) == Decimal(100)
    hours = campaign.questions.get(code="C3.1")
    assert hours.kind == QuestionKind.NUMBER and hours.unit_label_vi == "giờ" and hours.direction == "negative"
    assert set(campaign.units.all()) == {cast.branch_a, cast.branch_b}
    assert AuditEvent.objects.for_object(campaign).filter(action="survey.campaign_created").exists()


def test_create_campaign_skips_inactive_branches(cast):
    Branch.objects.create(department=cast.department, code="CL", name="Cái Lân", is_active=False)
    campaign = campaigns.create_campaign(cast.department, YEAR, actor=cast.users.staff)
    assert set(campaign.units.all()) == {cast.branch_a, cast.branch_b}


def test_create_campaign_copies_last_years_questionnaire(cast, campaign):
    campaigns.set_component_weights(campaign, {"C1": "20", "C2": "5"}, actor=cast.users.staff)
    campaign.questions.filter(code="C1.1").update(text_en="Edited last year.")
    campaign.min_completion = Decimal("0.70")
    campaign.save()

    copy = campaigns.create_campaign(cast.department, YEAR + 1, copy_from=campaign, actor=cast.users.staff)

    assert copy.questions.count() == 40
    assert copy.questions.get(code="C1.1").text_en == "Edited last year."
    assert copy.components.get(code="C1").weight == Decimal("20.00")
    assert copy.min_completion == Decimal("0.70")
    # The copy has its own rows: editing it leaves last year's questionnaire as it was.
    assert not Question.objects.filter(campaign=campaign).filter(pk__in=copy.questions.values("pk")).exists()
    assert copy.questions.get(code="C1.1").component.campaign_id == copy.pk


def test_create_campaign_twice_for_a_year_is_refused(cast, campaign):
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(cast.department, YEAR, actor=cast.users.staff)
    assert "year" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            department=cast.department, year=YEAR, title="x", open_on=campaign.open_on, close_on=campaign.close_on
        )


@pytest.mark.parametrize("user", ["leader", "officer", "team_leader", "business"])
def test_create_campaign_by_non_staff_is_refused(cast, user):
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(cast.department, YEAR, actor=getattr(cast.users, user))


def test_open_campaign_with_weights_not_summing_to_100_is_refused(cast, campaign):
    campaigns.set_component_weights(campaign, {"C1": "10"}, actor=cast.users.staff)
    with pytest.raises(ValidationError) as error:
        campaigns.open_campaign(campaign, actor=cast.users.staff)
    assert "weights" in error.value.message_dict
    assert "97.50" in error.value.message_dict["weights"][0]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_open_campaign_with_weights_summing_to_100_opens_and_then_closes(cast, campaign):
    campaigns.set_component_weights(campaign, {"C1": "15", "C2": "10"}, actor=cast.users.staff)
    campaigns.open_campaign(campaign, actor=cast.users.staff)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    with pytest.raises(ValidationError):
        campaigns.set_component_weights(campaign, {"C1": "12.5"}, actor=cast.users.staff)
    campaigns.close_campaign(campaign, actor=cast.users.staff, reason="Đủ phản hồi")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED
    with pytest.raises(ValidationError):
        campaigns.open_campaign(campaign, actor=cast.users.staff)


def test_set_component_weights_rejects_bad_values_by_code(cast, campaign):
    with pytest.raises(ValidationError) as error:
        campaigns.set_component_weights(campaign, {"C1": "abc", "C2": "120", "ZZ": "1"}, actor=cast.users.staff)
    assert set(error.value.message_dict) == {"C1", "C2", "ZZ"}
    assert ComponentIndex.objects.get(campaign=campaign, code="C1").weight == Decimal("12.50")


def test_question_choices_on_a_non_choice_question_are_refused_by_the_database(campaign):
    question = campaign.questions.get(code="C1.1")
    question.choices = [{"value": "a", "label_vi": "a", "label_en": "a", "score": 1}]
    with pytest.raises(IntegrityError), transaction.atomic():
        question.save()
