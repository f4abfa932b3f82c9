"""State changes of CDCI surveys: campaigns, invitations and their codes, answers, submission, review,
paper import, invitation e-mails. Each one is atomic and audited; views, commands and tasks call these.

`actor` is the user acting; None means the system itself (a Celery task, a management command), for
which no permission is checked. With a user, staff actions need department staff of the campaign's
department (or an administrator), invitation actions the survey-administrator capability.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Branch, Business, Department, OutboxMessage, User
from directory.outbox import kick_sender
from feedback.models import Declaration

from . import codes, default_template
from .choices import CampaignStatus, InvalidReason, QuestionKind, ResponseSource, Segment
from .models import (
    MAX_REMINDERS,
    MAX_UNITS_PER_INVITATION,
    Answer,
    Campaign,
    ComponentIndex,
    Invitation,
    InvitationUnit,
    Question,
    Response,
    SurveyAdministrator,
)
from .selectors import is_department_staff, is_survey_admin

# Straight-lining is only meaningful over enough agreement questions.
STRAIGHT_LINING_MIN_ANSWERS = 5
# A reminder goes at least this many days after the invitation or the previous reminder.
REMINDER_INTERVAL_DAYS = 7
EMAIL_BATCH_SIZE = 500
INVITATION_KIND = "survey_invitation"
REMINDER_KIND = "survey_reminder"
MAX_NUMBER = Decimal("9999999999")

_YES = {"1", "yes", "y", "true", "có", "co", "x"}
_NO = {"0", "no", "n", "false", "không", "khong"}


class SurveyClosed(Exception):
    """The campaign does not accept answers (not open yet, past its close date, or closed)."""

    def __init__(self, campaign: Campaign):
        super().__init__(f"campaign {campaign.pk} is not accepting answers")
        self.campaign = campaign
        self.message = _("This survey is closed. Thank you for your interest.")


class AlreadySubmitted(Exception):
    """The invitation's answers were submitted already: a code is used once."""

    def __init__(self, invitation: Invitation):
        super().__init__(f"invitation {invitation.pk} is already submitted")
        self.invitation = invitation
        self.message = _("This questionnaire has already been submitted. Thank you.")


@dataclass(frozen=True)
class IssuedCode:
    """A clear invitation code, handed once to whoever prints letters (never stored in clear)."""

    invitation_id: int
    code: str


# --- campaigns and questionnaires --------------------------------------------------------------


def _require_staff(actor: User | None, department_id: int) -> None:
    if actor is not None and not is_department_staff(actor, department_id):
        raise PermissionDenied(_("Only staff of the department can manage its surveys."))


def _require_survey_admin(actor: User | None, department_id: int) -> None:
    if actor is not None and not is_survey_admin(actor, department_id):
        raise PermissionDenied(_("Only a survey administrator can manage invitations."))


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
    _require_staff(actor, department.pk)
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
        "scale_min",
        "scale_max",
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
    _require_staff(actor, campaign.department_id)
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
    _require_staff(actor, campaign.department_id)
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
    _require_staff(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError({"status": _("Only an open campaign can be closed.")})
    reason = (reason or "").strip()
    early = timezone.localdate() < campaign.close_on
    if early and not reason:
        raise ValidationError({"reason": _("The campaign closes before its end date: state the reason.")})
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status"])
    changes = {"status": [CampaignStatus.OPEN, CampaignStatus.CLOSED]}
    if early:
        changes |= {"early": True, "close_on": campaign.close_on.isoformat(), "reason": reason}
    audit.record(actor, "survey.campaign_closed", campaign, changes)
    return campaign


# --- survey administrators -------------------------------------------------------------------


@transaction.atomic
def grant_survey_administrator(user: User, department: Department, *, actor: User | None) -> SurveyAdministrator:
    """Let a staff member of `department` manage invitations (and so see who was invited and answered)."""
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(_("Only an administrator can appoint survey administrators."))
    if not is_department_staff(user, department.pk) or user.is_administrator:
        raise ValidationError({"user": _("A survey administrator must be staff of the department.")})
    grant, created = SurveyAdministrator.objects.get_or_create(department=department, user=user)
    if created:
        audit.record(actor, "survey.admin_granted", grant, {"user": user.username, "department": department.code})
    return grant


@transaction.atomic
def revoke_survey_administrator(user: User, department: Department, *, actor: User | None) -> None:
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(_("Only an administrator can appoint survey administrators."))
    for grant in SurveyAdministrator.objects.filter(department=department, user=user):
        audit.record(actor, "survey.admin_revoked", grant, {"user": user.username, "department": department.code})
        grant.delete()


# --- invitations -------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The campaign year in local time (Asia/Ho_Chi_Minh), as aware datetimes [start, end)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=zone)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=zone)
    return start, end


def top_units_by_business(campaign: Campaign):
    """Per business not yet invited: the 1-2 campaign units with the most declarations cleared in the
    campaign year. One query: GROUP BY business x branch, ROW_NUMBER() over each business's counts."""
    start, end = _year_bounds(campaign.year)
    return (
        Declaration.objects.filter(
            branch__in=campaign.units.all(), cleared_at__gte=start, cleared_at__lt=end, cleared_at__isnull=False
        )
        .exclude(business_id__in=Invitation.objects.filter(campaign=campaign).values("business_id"))
        .values("business_id", "branch_id", "business__is_in_province")
        .annotate(declarations=Count("id"))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("business_id")], order_by=[F("declarations").desc(), F("branch_id").asc()]
            )
        )
        .filter(rank__lte=MAX_UNITS_PER_INVITATION)
        .order_by("business_id", "rank")
    )


def _segment(in_province: bool) -> str:
    return Segment.IN_PROVINCE if in_province else Segment.OUT_OF_PROVINCE


def _new_invitation(campaign: Campaign, business_id: int, in_province: bool, **fields) -> tuple[Invitation, str]:
    nonce = codes.new_nonce()
    code = codes.derive_code(nonce)
    invitation = Invitation(
        campaign=campaign,
        business_id=business_id,
        segment=_segment(in_province),
        code_nonce=nonce,
        code_hash=codes.hash_code(code),
        **fields,
    )
    return invitation, code


@transaction.atomic
def build_invitations(campaign: Campaign, *, actor: User | None) -> list[IssuedCode]:
    """Invite every business that cleared declarations through the campaign's units in its year, each
    for the one or two units it dealt with most. Running it again adds only businesses not yet invited.
    Returns the clear codes of the new invitations (to print letters); they are not stored in clear."""
    _require_survey_admin(actor, campaign.department_id)
    # The lock serialises two builds of one campaign, so neither invites a business twice.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign takes no new invitations."))
    by_business: dict[int, list[dict]] = defaultdict(list)
    for row in top_units_by_business(campaign):
        by_business[row["business_id"]].append(row)
    invitations, issued_codes = [], []
    for business_id, rows in by_business.items():
        invitation, code = _new_invitation(campaign, business_id, rows[0]["business__is_in_province"])
        invitations.append(invitation)
        issued_codes.append(code)
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    InvitationUnit.objects.bulk_create(
        (
            InvitationUnit(
                invitation=invitation,
                branch_id=row["branch_id"],
                rank=row["rank"],
                declaration_count=row["declarations"],
            )
            for invitation in invitations
            for row in by_business[invitation.business_id]
        ),
        batch_size=1000,
    )
    segments = defaultdict(int)
    for invitation in invitations:
        segments[invitation.segment] += 1
    audit.record(actor, "survey.invitations_built", campaign, {"added": len(invitations), **segments})
    return [IssuedCode(invitation.pk, code) for invitation, code in zip(invitations, issued_codes, strict=True)]


def _check_units(campaign: Campaign, units: Iterable[Branch]) -> list[Branch]:
    units = list(dict.fromkeys(units))
    if not 1 <= len(units) <= MAX_UNITS_PER_INVITATION:
        raise ValidationError({"units": _("Choose one or two units.")})
    allowed = set(campaign.units.values_list("pk", flat=True))
    if any(unit.pk not in allowed for unit in units):
        raise ValidationError({"units": _("A unit is not rated in this campaign.")})
    return units


@transaction.atomic
def add_invitation(
    campaign: Campaign, business: Business, units: Iterable[Branch], *, actor: User | None
) -> tuple[Invitation, str]:
    """Invite one more business (chosen by staff) about one or two units; returns it and its clear code."""
    _require_survey_admin(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign takes no new invitations."))
    units = _check_units(campaign, units)
    if Invitation.objects.filter(campaign=campaign, business=business).exists():
        raise ValidationError({"business": _("This business is already invited.")})
    invitation, code = _new_invitation(campaign, business.pk, business.is_in_province, added_manually=True)
    invitation.save()
    InvitationUnit.objects.bulk_create(
        InvitationUnit(invitation=invitation, branch=unit, rank=rank) for rank, unit in enumerate(units, start=1)
    )
    audit.record(
        actor, "survey.invitation_added", invitation, {"business": business.tax_code, "units": [u.pk for u in units]}
    )
    return invitation, code


@transaction.atomic
def remove_invitation(invitation: Invitation, *, actor: User | None) -> None:
    """Withdraw an invitation nobody has started answering."""
    _require_survey_admin(actor, invitation.campaign.department_id)
    invitation = Invitation.objects.select_for_update().select_related("business").get(pk=invitation.pk)
    if invitation.submitted_at is not None or invitation.responses.exists():
        raise ValidationError(_("This invitation has answers and cannot be removed."))
    audit.record(actor, "survey.invitation_removed", invitation, {"business": invitation.business.tax_code})
    invitation.delete()


@transaction.atomic
def regenerate_code(invitation: Invitation, *, actor: User | None) -> str:
    """Replace a lost or leaked code; the old one stops working at once. Returns the new clear code."""
    _require_survey_admin(actor, invitation.campaign.department_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.submitted_at is not None:
        raise AlreadySubmitted(invitation)
    nonce = codes.new_nonce()
    code = codes.derive_code(nonce)
    invitation.code_nonce, invitation.code_hash = nonce, codes.hash_code(code)
    invitation.save(update_fields=["code_nonce", "code_hash"])
    audit.record(actor, "survey.code_regenerated", invitation)
    return code


def invitation_code(invitation: Invitation) -> str:
    """The clear code of an invitation, re-derived with SECRET_KEY, for printing a letter again."""
    return codes.derive_code(invitation.code_nonce)


@transaction.atomic
def mark_letters_sent(campaign: Campaign, invitation_ids: Iterable[int], *, actor: User | None) -> int:
    """Record that paper letters went out for these invitations (those not sent yet)."""
    _require_survey_admin(actor, campaign.department_id)
    count = Invitation.objects.filter(campaign=campaign, pk__in=list(invitation_ids), sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    audit.record(actor, "survey.letters_sent", campaign, {"count": count})
    return count


# --- e-mails -------------------------------------------------------------------------------------


def answer_url(code: str) -> str:
    """The link in letters and e-mails. The answering page is expected at the URL named "surveys:answer"."""
    try:
        path = reverse("surveys:answer", kwargs={"code": code})
    except NoReverseMatch:
        path = f"/survey/{code}/"
    return f"{settings.SITE_URL}{path}"


def _invitation_email(campaign: Campaign, code: str, *, reminder: bool) -> tuple[str, str]:
    """Subject and body in Vietnamese then English: a business's language is not known."""
    subjects, bodies = [], []
    values = {
        "year": campaign.year,
        "department": campaign.department.name,
        "close_on": campaign.close_on.strftime("%d/%m/%Y"),
        "code": codes.format_code(code),
        "url": answer_url(code),
    }
    for language in ("vi", "en"):
        with translation.override(language):
            if reminder:
                subjects.append(_("Reminder: CDCI survey %(year)s") % values)
                first = _("We have not yet received your answers to the %(year)s survey of %(department)s.") % values
            else:
                subjects.append(_("CDCI survey %(year)s") % values)
                first = (
                    _("%(department)s invites your business to rate the customs units you dealt with in %(year)s.")
                    % values
                )
            bodies.append(
                "\n\n".join(
                    [
                        first,
                        _("Answer at %(url)s before %(close_on)s. Your code: %(code)s") % values,
                        _(
                            "This code is personal to your business: do not share it. Answers are anonymous and "
                            "published only in aggregate; the units rated never learn who answered."
                        ),
                    ]
                )
            )
    return " / ".join(subjects), "\n\n----------\n\n".join(bodies)


def _queue_survey_emails(invitations: list[Invitation], *, kind: str, reminder_number: int = 0) -> int:
    messages = []
    for invitation in invitations:
        subject, body = _invitation_email(
            invitation.campaign, invitation_code(invitation), reminder=reminder_number > 0
        )
        messages.append(
            OutboxMessage(
                recipient=None,
                to_email=invitation.business.email,
                language="vi",
                kind=kind,
                subject=subject[:255],
                body=body,
                dedup_key=f"{kind}:{invitation.pk}:{reminder_number}",
            )
        )
    if messages:
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
        transaction.on_commit(kick_sender, robust=True)
    return len(messages)


def send_invitations(campaign_id: int, *, batch: int = EMAIL_BATCH_SIZE) -> int:
    """Queue the invitation e-mail of up to `batch` invitations never sent (by e-mail or letter) whose
    business has an e-mail address; returns how many. Safe to run twice: rows are claimed under lock
    and the outbox's dedup key drops a second copy."""
    with transaction.atomic():
        campaign = Campaign.objects.select_related("department").get(pk=campaign_id)
        if campaign.status != CampaignStatus.OPEN:
            return 0
        invitations = list(
            Invitation.objects.filter(campaign=campaign, sent_at__isnull=True, submitted_at__isnull=True)
            .exclude(business__email="")
            .select_related("business")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")[:batch]
        )
        for invitation in invitations:
            invitation.campaign = campaign
        queued = _queue_survey_emails(invitations, kind=INVITATION_KIND)
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sent_at=timezone.now())
    return queued


def send_reminders(campaign_id: int, *, now: datetime.datetime | None = None, batch: int = EMAIL_BATCH_SIZE) -> int:
    """Remind up to `batch` invitations that have not answered: at most MAX_REMINDERS each, the first
    REMINDER_INTERVAL_DAYS after the invitation, the next as long after the previous reminder."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=REMINDER_INTERVAL_DAYS)
    with transaction.atomic():
        campaign = Campaign.objects.select_related("department").get(pk=campaign_id)
        if not campaign.accepts_answers_on(timezone.localdate(now)):
            return 0
        invitations = list(
            Invitation.objects.filter(
                Q(last_reminded_at__isnull=True, sent_at__lte=cutoff) | Q(last_reminded_at__lte=cutoff),
                campaign=campaign,
                submitted_at__isnull=True,
                reminder_count__lt=MAX_REMINDERS,
            )
            .exclude(business__email="")
            .select_related("business")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")[:batch]
        )
        queued = 0
        for number in range(1, MAX_REMINDERS + 1):
            group = [i for i in invitations if i.reminder_count + 1 == number]
            for invitation in group:
                invitation.campaign = campaign
            queued += _queue_survey_emails(group, kind=REMINDER_KIND, reminder_number=number)
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(
            reminder_count=F("reminder_count") + 1, last_reminded_at=now
        )
    return queued


# --- answering ---------------------------------------------------------------------------------


def invitation_for_code(code: str) -> Invitation | None:
    """The invitation whose code this is, or None. The lookup is by hash: codes are not stored."""
    normalized = codes.normalize_code(code or "")
    if len(normalized) != codes.CODE_LENGTH:
        return None
    return (
        Invitation.objects.select_related("campaign", "campaign__department")
        .filter(code_hash=codes.hash_code(normalized))
        .first()
    )


def mark_opened(invitation: Invitation) -> None:
    """Record the first time the questionnaire was opened (a conditional UPDATE: only the first counts)."""
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def parse_value(question: Question, raw) -> tuple[Decimal, str]:
    """The stored (value, choice) of a raw answer, or ValidationError with a message for the respondent."""
    text = str(raw).strip()
    kind = question.kind
    if kind == QuestionKind.AGREEMENT_5:
        number = _to_decimal(text)
        if number is None or number != number.to_integral_value() or not 1 <= number <= 5:
            raise ValidationError(_("Choose a level from 1 to 5."))
        return Decimal(int(number)), ""
    if kind == QuestionKind.YES_NO:
        if isinstance(raw, bool):
            return Decimal(int(raw)), ""
        lowered = text.lower()
        if lowered in _YES or lowered == "1.0":
            return Decimal(1), ""
        if lowered in _NO or lowered == "0.0":
            return Decimal(0), ""
        raise ValidationError(_("Answer yes (1) or no (0)."))
    if kind == QuestionKind.NUMBER:
        number = _to_decimal(text)
        if number is None or number < 0 or number > MAX_NUMBER:
            raise ValidationError(_("Enter a number, zero or more."))
        return number.quantize(Decimal("0.01")), ""
    # A single choice: its value code or its label in either language.
    lowered = text.lower()
    for choice in question.choices:
        names = {str(choice["value"]).lower(), choice.get("label_vi", "").lower(), choice.get("label_en", "").lower()}
        if lowered and lowered in names:
            return Decimal(str(choice["score"])), str(choice["value"])
    raise ValidationError(_("Choose one of the options offered."))


def _to_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _check_can_answer(invitation: Invitation) -> None:
    if invitation.submitted_at is not None:
        raise AlreadySubmitted(invitation)
    if not invitation.campaign.accepts_answers_on(timezone.localdate()):
        raise SurveyClosed(invitation.campaign)


def save_answers(
    invitation: Invitation,
    unit: Branch,
    answers: Mapping[int, Any],
    *,
    source: str = ResponseSource.WEB,
    comment: str | None = None,
) -> Response:
    """Save (part of) a business's answers about one unit; call it as often as needed before submitting.

    `answers` maps question ids to raw values; a blank value clears an answer. Errors are keyed by
    question code and nothing is written when there is one. Raises SurveyClosed, AlreadySubmitted.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("campaign").get(pk=invitation.pk)
        _check_can_answer(invitation)
        if not invitation.unit_links.filter(branch_id=unit.pk).exists():
            raise ValidationError({"unit": _("This questionnaire does not rate that unit.")})
        questions = {question.pk: question for question in invitation.campaign.questions.all()}
        values, cleared, errors = _parse_answers(questions, answers)
        if errors:
            raise ValidationError(dict(errors))
        mark_opened(invitation)
        response, _created = Response.objects.get_or_create(
            invitation=invitation,
            unit=unit,
            defaults={"campaign_id": invitation.campaign_id, "segment": invitation.segment, "source": source},
        )
        _store_answers(response, values, cleared)
        if comment is not None:
            response.comment = comment.strip()
            response.save(update_fields=["comment"])
    return response


def _parse_answers(questions: Mapping[int, Question], answers: Mapping[Any, Any]):
    values: dict[int, tuple[Decimal, str]] = {}
    cleared: list[int] = []
    errors: dict[str, list[str]] = defaultdict(list)
    for key, raw in answers.items():
        try:
            question = questions[int(key)]
        except (KeyError, TypeError, ValueError):
            errors[str(key)].append(_("This question is not part of the questionnaire."))
            continue
        if _is_blank(raw):
            cleared.append(question.pk)
            continue
        try:
            values[question.pk] = parse_value(question, raw)
        except ValidationError as exc:
            errors[question.code].extend(exc.messages)
    return values, cleared, errors


def _store_answers(response: Response, values: Mapping[int, tuple[Decimal, str]], cleared: Iterable[int]) -> None:
    now = timezone.now()
    if cleared:
        response.answers.filter(question_id__in=list(cleared)).delete()
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=question_id, value=value, choice=choice, answered_at=now)
            for question_id, (value, choice) in values.items()
        ],
        update_conflicts=True,
        unique_fields=["response", "question"],
        update_fields=["value", "choice", "answered_at"],
    )


def submit(invitation: Invitation, actor: User | None = None) -> list[Response]:
    """Submit the invitation's answers, once. Each response (one per unit answered) is judged: it counts
    when it answers at least `min_completion` of the required questions and is not straight-lined;
    a straight-lined one waits for review_response. Raises SurveyClosed, AlreadySubmitted."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("campaign").get(pk=invitation.pk)
        _check_can_answer(invitation)
        responses = _finish(invitation, timezone.now())
        audit.record(actor, "survey.submitted", invitation, {"responses": len(responses)})
    return responses


def _finish(invitation: Invitation, now: datetime.datetime) -> list[Response]:
    responses = list(invitation.responses.all())
    if not responses:
        raise ValidationError({NON_FIELD_ERRORS: [_("Answer at least one question before submitting.")]})
    _judge(invitation.campaign, responses)
    for response in responses:
        response.submitted_at = now
        response.is_valid = not response.invalid_reasons
    Response.objects.bulk_update(
        responses, ["submitted_at", "is_valid", "invalid_reasons", "completion", "flagged_straight_lining"]
    )
    invitation.submitted_at = now
    invitation.save(update_fields=["submitted_at"])
    return responses


def _judge(campaign: Campaign, responses: list[Response]) -> None:
    """Set completion, invalid_reasons and the straight-lining flag of each response (two queries)."""
    required = set(campaign.questions.filter(required=True).values_list("pk", flat=True))
    agreement = set(campaign.questions.filter(kind=QuestionKind.AGREEMENT_5).values_list("pk", flat=True))
    answered: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for response_id, question_id, value in Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "value"
    ):
        answered[response_id][question_id] = value
    for response in responses:
        answers = answered[response.pk]
        completion = Decimal(len(required & answers.keys())) / len(required) if required else Decimal(1)
        response.completion = completion.quantize(Decimal("0.001"))
        reasons = []
        if completion < campaign.min_completion:
            reasons.append(InvalidReason.INCOMPLETE.value)
        agreement_values = [value for question_id, value in answers.items() if question_id in agreement]
        response.flagged_straight_lining = (
            len(agreement_values) >= STRAIGHT_LINING_MIN_ANSWERS and len(set(agreement_values)) == 1
        )
        if response.flagged_straight_lining:
            reasons.append(InvalidReason.STRAIGHT_LINING.value)
        response.invalid_reasons = reasons


@transaction.atomic
def review_response(response: Response, accept: bool, *, actor: User) -> Response:
    """Staff decision on a straight-lined response: accepted, it counts (if otherwise complete);
    rejected, it stays invalid with the reason 'rejected'."""
    _require_staff(actor, response.campaign.department_id)
    if actor is None:
        raise PermissionDenied(_("A review needs a reviewer."))
    response = Response.objects.select_for_update().get(pk=response.pk)
    if not response.flagged_straight_lining or response.submitted_at is None:
        raise ValidationError(_("Only a submitted response flagged for straight-lining is reviewed."))
    if response.review_accepted is not None:
        raise ValidationError(_("This response has been reviewed already."))
    before = list(response.invalid_reasons)
    reasons = [reason for reason in before if reason != InvalidReason.STRAIGHT_LINING]
    if not accept:
        reasons.append(InvalidReason.REJECTED.value)
    response.invalid_reasons = reasons
    response.is_valid = not reasons
    response.review_accepted = accept
    response.reviewed_at = timezone.now()
    response.reviewed_by = actor
    response.save(update_fields=["invalid_reasons", "is_valid", "review_accepted", "reviewed_at", "reviewed_by"])
    audit.record(actor, "survey.response_reviewed", response, {"accepted": accept, "reasons": [before, reasons]})
    return response


# --- paper answers -------------------------------------------------------------------------------

PAPER_CODE_COLUMN = "code"
PAPER_UNIT_COLUMN = "unit"
PAPER_COMMENT_COLUMN = "comment"


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class PaperImportError(ValidationError):
    """The paper file was refused as a whole; `cells` lists each error with its row and column."""

    def __init__(self, cells: list[CellError]):
        super().__init__([str(cell) for cell in cells])
        self.cells = cells


def import_paper_responses(
    campaign: Campaign, rows: Iterable[Mapping[str, Any]], *, actor: User | None, first_row: int = 2
) -> list[Response]:
    """Store paper questionnaires, one row per response: the invitation code, the unit code, one column
    per question code, optionally a comment. All or nothing: any error refuses the whole file with
    the row number (counted from `first_row`, the first data row of the sheet) and the column.
    A code that already answered is refused. Each invitation in the file is submitted."""
    _require_staff(actor, campaign.department_id)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.OPEN:
            raise PaperImportError([CellError(first_row, PAPER_CODE_COLUMN, _("The campaign is not open."))])
        questions = {question.code.upper(): question for question in campaign.questions.all()}
        units = {unit.code.upper(): unit for unit in campaign.units.all()}
        rows = list(rows)
        hashes = {codes.hash_code(row.get(PAPER_CODE_COLUMN) or "") for row in rows}
        invitations = {
            invitation.code_hash: invitation
            for invitation in Invitation.objects.filter(campaign=campaign, code_hash__in=hashes).select_for_update()
        }
        unit_links = set(
            InvitationUnit.objects.filter(invitation__in=invitations.values()).values_list("invitation_id", "branch_id")
        )
        errors: list[CellError] = []
        parsed = []
        seen: dict[tuple[int, int], int] = {}
        for index, row in enumerate(rows):
            number = first_row + index
            cells = {str(key).strip().upper(): value for key, value in row.items() if key is not None}
            invitation = invitations.get(codes.hash_code(cells.pop(PAPER_CODE_COLUMN.upper(), None) or ""))
            unit = units.get(str(cells.pop(PAPER_UNIT_COLUMN.upper(), None) or "").strip().upper())
            comment = cells.pop(PAPER_COMMENT_COLUMN.upper(), None)
            if invitation is None:
                errors.append(CellError(number, PAPER_CODE_COLUMN, _("Unknown code.")))
            elif invitation.submitted_at is not None:
                errors.append(CellError(number, PAPER_CODE_COLUMN, _("This code has already answered.")))
            if unit is None:
                errors.append(CellError(number, PAPER_UNIT_COLUMN, _("Unknown unit code.")))
            elif invitation is not None and (invitation.pk, unit.pk) not in unit_links:
                errors.append(CellError(number, PAPER_UNIT_COLUMN, _("This code was not asked about this unit.")))
            elif invitation is not None:
                earlier = seen.setdefault((invitation.pk, unit.pk), number)
                if earlier != number:
                    errors.append(
                        CellError(number, PAPER_CODE_COLUMN, _("Same code and unit as row %(row)s.") % {"row": earlier})
                    )
            values = {}
            for column, raw in cells.items():
                question = questions.get(column)
                if question is None:
                    if not _is_blank(raw):
                        errors.append(CellError(number, column, _("No question has this code.")))
                    continue
                if _is_blank(raw):
                    continue
                try:
                    values[question.pk] = parse_value(question, raw)
                except ValidationError as exc:
                    errors.extend(CellError(number, question.code, message) for message in exc.messages)
            parsed.append((invitation, unit, values, "" if _is_blank(comment) else str(comment).strip()))
        if not rows:
            errors.append(CellError(first_row, PAPER_CODE_COLUMN, _("The file has no answers.")))
        if errors:
            raise PaperImportError(errors)

        # An invitation's unsent web progress (if any) gives way to its paper form.
        Response.objects.filter(
            invitation__in=[invitation for invitation, *_rest in parsed], submitted_at__isnull=True
        ).delete()
        responses = []
        for invitation, unit, values, comment in parsed:
            response = Response.objects.create(
                invitation=invitation,
                campaign=campaign,
                segment=invitation.segment,
                unit=unit,
                source=ResponseSource.PAPER,
                comment=comment,
            )
            _store_answers(response, values, ())
            responses.append(response)
        now = timezone.now()
        submitted = []
        for invitation in {invitation.pk: invitation for invitation, *_rest in parsed}.values():
            invitation.campaign = campaign
            submitted.extend(_finish(invitation, now))
        audit.record(actor, "survey.paper_imported", campaign, {"responses": len(responses)})
    return submitted
