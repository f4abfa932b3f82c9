"""Campaigns and their questionnaires: creating a campaign (from last year's or the default template),
weighting its component indexes, opening and closing it."""

import datetime
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Branch, Department, User

from .. import default_template
from ..choices import CampaignStatus
from ..models import Campaign, ComponentIndex, Question
from .access import require_staff


@transaction.atomic
def create_campaign(
    department: Department,
    year: int,
    *,
    copy_from: Campaign | None = None,
    actor: User | None,
    title: str = "",
    open_on: datetime.date | None = None,
    close_on: datetime.date | None = None,
) -> Campaign:
    """A draft campaign rating the department's active branches, with last year's questionnaire
    (`copy_from`) or else the default template. Dates default to November-December of `year`."""
    require_staff(actor, department.pk)
    if Campaign.objects.filter(department=department, year=year).exists():
        raise ValidationError({"year": _("The department already has a campaign for %(year)s.") % {"year": year}})
    open_on = open_on or datetime.date(year, 11, 1)
    close_on = close_on or datetime.date(year, 12, 31)
    if close_on < open_on:
        raise ValidationError({"close_on": _("The campaign must close after it opens.")})
    campaign = Campaign.objects.create(
        department=department,
        year=year,
        title=title.strip() or _("CDCI survey %(year)s") % {"year": year},
        open_on=open_on,
        close_on=close_on,
        min_completion=copy_from.min_completion if copy_from else Campaign._meta.get_field("min_completion").default,
        weight_by_segment=copy_from.weight_by_segment if copy_from else False,
    )
    campaign.units.set(Branch.objects.filter(department=department, is_active=True))
    if copy_from is not None:
        _copy_questionnaire(copy_from, campaign)
    else:
        _load_default_template(campaign)
    audit.record(
        actor,
        "survey.campaign_created",
        campaign,
        {"year": year, "copied_from": copy_from.pk if copy_from else None, "units": campaign.units.count()},
    )
    return campaign


def _load_default_template(campaign: Campaign) -> None:
    questions = []
    for position, spec in enumerate(default_template.COMPONENTS, start=1):
        component = ComponentIndex.objects.create(
            campaign=campaign,
            position=position,
            code=spec["code"],
            name_vi=spec["name_vi"],
            name_en=spec["name_en"],
            weight=default_template.DEFAULT_WEIGHT,
        )
        for question_position, question in enumerate(spec["questions"], start=1):
            questions.append(Question(campaign=campaign, component=component, position=question_position, **question))
    Question.objects.bulk_create(questions)


def _copy_questionnaire(source: Campaign, campaign: Campaign) -> None:
    components = {}
    for component in source.components.order_by("position"):
        components[component.pk] = ComponentIndex.objects.create(
            campaign=campaign,
            position=component.position,
            code=component.code,
            name_vi=component.name_vi,
            name_en=component.name_en,
            weight=component.weight,
        )
    copied_fields = [
        "position",
        "code",
        "text_vi",
        "text_en",
        "kind",
        "choices",
        "direction",
        "required",
        "unit_label_vi",
        "unit_label_en",
    ]
    Question.objects.bulk_create(
        Question(
            campaign=campaign,
            component=components[question.component_id],
            **{field: getattr(question, field) for field in copied_fields},
        )
        for question in source.questions.all()
    )


@transaction.atomic
def set_component_weights(campaign: Campaign, weights: Mapping[str, Any], *, actor: User | None) -> Campaign:
    """Change the weights (percent, by component code) of a draft campaign; the sum is checked on opening."""
    require_staff(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("The questionnaire of an open or closed campaign cannot change."))
    components = {component.code: component for component in campaign.components.all()}
    errors: dict[str, list[str]] = defaultdict(list)
    changes = {}
    for code, raw in weights.items():
        component = components.get(code)
        if component is None:
            errors[code].append(_("No component index has this code."))
            continue
        try:
            weight = Decimal(str(raw).replace(",", ".")).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors[code].append(_("Enter a number."))
            continue
        if not Decimal(0) <= weight <= Decimal(100):
            errors[code].append(_("A weight is between 0 and 100."))
            continue
        changes[code] = [str(component.weight), str(weight)]
        component.weight = weight
    if errors:
        raise ValidationError(dict(errors))
    ComponentIndex.objects.bulk_update(components.values(), ["weight"])
    audit.record(actor, "survey.weights_changed", campaign, changes)
    return campaign


def weights_total(campaign: Campaign) -> Decimal:
    total = campaign.components.aggregate(total=Sum("weight"))["total"] or Decimal(0)
    return Decimal(total).quantize(Decimal("0.01"))


@transaction.atomic
def open_campaign(campaign: Campaign, *, actor: User | None) -> Campaign:
    """Open a draft campaign for answers once its questionnaire is complete and its weights sum to 100."""
    require_staff(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft campaign can be opened.")})
    errors: dict[str, list[str]] = defaultdict(list)
    total = weights_total(campaign)
    if total != Decimal(100):
        errors["weights"].append(
            _("The weights of the component indexes must sum to 100%% (now %(total)s%%).") % {"total": total}
        )
    if not campaign.questions.exists():
        errors["questions"].append(_("The questionnaire has no questions."))
    if not campaign.units.exists():
        errors["units"].append(_("Choose the units to be rated."))
    if errors:
        raise ValidationError(dict(errors))
    campaign.status = CampaignStatus.OPEN
    campaign.save(update_fields=["status"])
    audit.record(actor, "survey.campaign_opened", campaign, {"status": [CampaignStatus.DRAFT, CampaignStatus.OPEN]})
    return campaign


@transaction.atomic
def close_campaign(campaign: Campaign, *, actor: User | None, reason: str = "") -> Campaign:
    """Close an open campaign: no more answers, web or paper.

    Before its end date a close needs a reason (audited): it cuts businesses off the survey they were
    promised. Until a CDCI computation starts it can be undone (cdci.services.reopen_campaign).
    """
    require_staff(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError({"status": _("Only an open campaign can be closed.")})
    reason = (reason or "").strip()
    early = timezone.localdate() < campaign.close_on
    if early and not reason:
        raise ValidationError({"reason": _("The campaign closes before its end date: state the reason.")})
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status"])
    changes: dict[str, object] = {"status": [CampaignStatus.OPEN, CampaignStatus.CLOSED]}
    if early:
        changes |= {"early": True, "close_on": campaign.close_on.isoformat(), "reason": reason}
    audit.record(actor, "survey.campaign_closed", campaign, changes)
    return campaign
