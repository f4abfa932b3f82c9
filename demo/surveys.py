"""Demo CDCI campaigns: last year's, closed, with about 1,200 invitations and 400 valid responses, and
this year's, open, with a few answers. Deterministic (random.Random seeded with the demo seed, the
year and the business's tax code; invitation nonces derived from the same) and idempotent: a campaign
that exists is left as it is, and each campaign is built in one transaction, so it is all there or
not at all.

Two paths, on purpose:
- the few: campaigns are created, opened and closed, and this year's answers are saved and
  submitted, through surveys.services, exactly as the pages do;
- the many (last year's ~450 questionnaires, ~20,000 answers): bulk writes that mirror the services.
  Invitations are built from services.top_units_by_business (the query build_invitations uses), plus
  a panel of businesses "added by staff" to reach the target; responses carry campaign and segment
  like save_answers makes them; each is judged by services._judge, the function submit uses, so
  completion, straight-lining and the reasons for invalidity are the services' own. No audit row is
  written for the bulk part, as no person acted.
"""

import datetime
import hashlib
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from directory.models import Branch, Business, Department, User
from directory.taxcode import make_tax_codes
from surveys import codes, services
from surveys.choices import Direction, QuestionKind, ResponseSource, Segment
from surveys.models import Answer, Campaign, Invitation, InvitationUnit, Question, Response

from .directory import COMPANY_BRANDS, COMPANY_FORMS, COMPANY_TRADES, SEED, business_email, fill_business_emails

LAST_YEAR_INVITATIONS = 1_200
MIN_INVITATIONS_PER_UNIT = 30
RESPONSE_SHARE = 0.365  # of the invitations: submitted questionnaires
INCOMPLETE_SHARE = 0.05  # of the submitted: too few questions answered
STRAIGHT_LINING_SHARE = 0.02  # of the submitted: the same level everywhere (flagged for review)
BOTH_UNITS_SHARE = 0.85  # an invitation naming two units answers about both
PAPER_SHARE = 0.15
OPENED_WITHOUT_ANSWER = 0.3
THIS_YEAR_SUBMITTED = 4
THIS_YEAR_IN_PROGRESS = 2
BATCH_SIZE = 5_000
# Panel businesses (added by staff) take sequence numbers far above the directory's.
PANEL_SEQUENCE_START = 9_000_000
PANEL_PROVINCES = [(57, 55), (1, 15), (79, 10), (31, 12), (22, 8)]  # (province code, weight)
# How well each demo branch serves businesses, -1..1 (mirrors the ratings demo: Hoành Mô, Bắc Phong Sinh worse).
UNIT_QUALITY = {"MC": 0.5, "HG": 0.7, "CL": 0.45, "CP": 0.35, "VG": 0.6, "BPS": -0.2, "HM": -0.4}
NUMBER_BASE = {"giờ": 4.0, "ngày": 3.0, "lần": 1.5}
COMMENTS = [
    "Thủ tục nhanh gọn, công chức nhiệt tình hướng dẫn.",
    "Đề nghị bố trí thêm cán bộ vào giờ cao điểm.",
    "Hệ thống đôi khi bị nghẽn, mong được khắc phục.",
    "Thời gian kiểm tra thực tế hàng hóa còn kéo dài.",
    "Cần công khai rõ hơn các khoản phí tại cửa khẩu.",
    "Hài lòng với cách tiếp nhận và giải quyết vướng mắc.",
]


@dataclass
class DemoSurveys:
    last_year: Campaign
    this_year: Campaign
    sample_code: str | None
    created: dict[str, int] = field(default_factory=dict)


def build_surveys(
    department: Department, *, staff: User | None, anchor: datetime.datetime, scale: float = 1.0
) -> DemoSurveys:
    """Both demo campaigns of `department`, and the survey-administrator capability for `staff`.
    `anchor` (the first of the month, local) fixes "this year"; `scale` multiplies the invitations."""
    created: dict[str, int] = {}
    if staff is not None:
        services.grant_survey_administrator(staff, department, actor=None)
    last_year = _last_year_campaign(department, anchor.year - 1, scale, created)
    this_year = _this_year_campaign(department, anchor.year, last_year, anchor.date(), created)
    return DemoSurveys(last_year, this_year, sample_code(this_year), created)


def sample_code(campaign: Campaign) -> str | None:
    """A code of `campaign` nobody has used yet, the same at every run, for a person to try the page."""
    invitation = (
        Invitation.objects.filter(campaign=campaign, submitted_at__isnull=True, responses__isnull=True)
        .order_by("business__tax_code")
        .first()
    )
    return services.invitation_code(invitation) if invitation else None


def _rng(*parts) -> random.Random:
    return random.Random(":".join([SEED, "surveys", *(str(part) for part in parts)]))


def _nonce(campaign: Campaign, tax_code: str) -> str:
    return hashlib.sha256(f"{SEED}:surveys:{campaign.year}:{tax_code}".encode()).hexdigest()[:32]


def _local(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


# --- invitations (bulk, mirroring services.build_invitations and add_invitation) ---------------------


def _invite_from_declarations(campaign: Campaign) -> list[Invitation]:
    rows_by_business: dict[int, list[dict]] = {}
    for row in services.top_units_by_business(campaign):
        rows_by_business.setdefault(row["business_id"], []).append(row)
    tax_codes = dict(Business.objects.filter(pk__in=rows_by_business).values_list("pk", "tax_code"))
    invitations = []
    for business_id, rows in sorted(rows_by_business.items(), key=lambda item: tax_codes[item[0]]):
        invitations.append(
            _invitation(campaign, business_id, tax_codes[business_id], rows[0]["business__is_in_province"])
        )
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
            for row in rows_by_business[invitation.business_id]
        ),
        batch_size=1000,
    )
    return invitations


def _invitation(campaign: Campaign, business_id: int, tax_code: str, in_province: bool, **fields) -> Invitation:
    nonce = _nonce(campaign, tax_code)
    return Invitation(
        campaign=campaign,
        business_id=business_id,
        segment=Segment.IN_PROVINCE if in_province else Segment.OUT_OF_PROVINCE,
        code_nonce=nonce,
        code_hash=codes.hash_code(codes.derive_code(nonce)),
        **fields,
    )


def _panel_businesses(count: int, created: dict) -> list[Business]:
    """Businesses the department knows from its own lists (not from declarations), added to the survey
    by staff; the same ones at every run."""
    rng = _rng("panel")
    provinces, weights = zip(*PANEL_PROVINCES, strict=True)
    per_province: dict[int, int] = {}
    for _index in range(count):
        province = rng.choices(provinces, weights)[0]
        per_province[province] = per_province.get(province, 0) + 1
    forms, form_weights = zip(*COMPANY_FORMS, strict=True)
    plan = []
    for province, number in sorted(per_province.items()):
        for position, tax_code in enumerate(make_tax_codes(province, number, start=PANEL_SEQUENCE_START)):
            name_rng = _rng("panel-name", tax_code)
            name = f"{name_rng.choices(forms, form_weights)[0]} {name_rng.choice(COMPANY_TRADES)} "
            name += f"{name_rng.choice(COMPANY_BRANDS)} {position + 1}"
            plan.append(
                Business(tax_code=tax_code, name=name, is_in_province=province == 57, email=business_email(tax_code))
            )
    existing = set(Business.objects.filter(tax_code__in=[b.tax_code for b in plan]).values_list("tax_code", flat=True))
    new = [business for business in plan if business.tax_code not in existing]
    Business.objects.bulk_create(new, batch_size=1000)
    fill_business_emails([b.tax_code for b in plan])
    created["panel businesses"] = len(new)
    return list(Business.objects.filter(tax_code__in=[b.tax_code for b in plan]).order_by("tax_code"))


def _invite_panel(campaign: Campaign, count: int, created: dict) -> list[Invitation]:
    if count <= 0:
        return []
    invited = set(Invitation.objects.filter(campaign=campaign).values_list("business_id", flat=True))
    units = list(campaign.units.order_by("code"))
    weights = [1 + 2 * max(UNIT_QUALITY.get(unit.code, 0.3), 0) for unit in units]
    invitations, links = [], []
    for business in _panel_businesses(count, created):
        if business.pk in invited:
            continue
        rng = _rng("panel-units", campaign.year, business.tax_code)
        chosen = [rng.choices(units, weights)[0]]
        if len(units) > 1 and rng.random() < 0.4:
            chosen.append(rng.choice([unit for unit in units if unit != chosen[0]]))
        invitation = _invitation(campaign, business.pk, business.tax_code, business.is_in_province, added_manually=True)
        invitations.append(invitation)
        links.append(chosen)
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    InvitationUnit.objects.bulk_create(
        (
            InvitationUnit(invitation=invitation, branch=unit, rank=rank)
            for invitation, chosen in zip(invitations, links, strict=True)
            for rank, unit in enumerate(chosen, start=1)
        ),
        batch_size=1000,
    )
    return invitations


# --- answers --------------------------------------------------------------------------------------


def _agreement(rng: random.Random, quality: float, generosity: float, question: Question) -> int:
    mean = 3.55 + 0.85 * quality + generosity
    if question.direction == Direction.NEGATIVE:
        mean = 6 - mean
    return min(5, max(1, round(rng.gauss(mean, 0.75))))


def demo_value(rng: random.Random, question: Question, quality: float, generosity: float) -> str:
    """A plausible raw answer (as a business would type it) to `question` about a unit of `quality`."""
    if question.kind == QuestionKind.AGREEMENT_5:
        return str(_agreement(rng, quality, generosity, question))
    if question.kind == QuestionKind.YES_NO:
        chance = 0.72 + 0.2 * quality
        if question.direction == Direction.NEGATIVE:
            chance = 0.14 - 0.1 * quality
        return "1" if rng.random() < chance else "0"
    if question.kind == QuestionKind.NUMBER:
        base = NUMBER_BASE.get(question.unit_label_vi, 2.0)
        if question.direction == Direction.NEGATIVE:
            base *= 1.35 - 0.6 * quality
        value = base * math.exp(rng.gauss(0, 0.5))
        return f"{round(value * 2) / 2:g}"
    # Single choice: mostly the best option, more spread at a worse unit.
    ordered = sorted(
        question.choices, key=lambda choice: choice["score"], reverse=question.direction != Direction.NEGATIVE
    )
    index = min(len(ordered) - 1, int(abs(rng.gauss(0, 1.0 - 0.45 * quality))))
    return str(ordered[index]["value"])


def _answers_of(rng, questions, unit, generosity, kind: str) -> dict[int, tuple[Decimal, str]]:
    quality = UNIT_QUALITY.get(unit.code, 0.3)
    chosen = questions
    if kind == "incomplete":
        chosen = rng.sample(questions, k=round(len(questions) * rng.uniform(0.3, 0.7)))
    elif kind == "complete":
        chosen = [q for q in questions if q.required or rng.random() < 0.7]
        chosen = [q for q in chosen if rng.random() > 0.02]  # a skipped question now and then
    level = str(rng.choice([4, 5]))
    values = {}
    for question in chosen:
        raw = level if kind == "straight" and question.kind == QuestionKind.AGREEMENT_5 else None
        raw = raw or demo_value(rng, question, quality, generosity)
        values[question.pk] = services.parse_value(question, raw)
    return values


def _answer_last_year(campaign: Campaign, invitations: list[Invitation], created: dict) -> None:
    questions = list(campaign.questions.select_related("component").order_by("component__position", "position"))
    units: dict[int, list[Branch]] = {}
    for link in InvitationUnit.objects.filter(invitation__in=invitations).select_related("branch").order_by("rank"):
        units.setdefault(link.invitation_id, []).append(link.branch)
    tax_codes = dict(Business.objects.filter(pk__in=[i.business_id for i in invitations]).values_list("pk", "tax_code"))
    days = (campaign.close_on - campaign.open_on).days
    responses, answer_sets, submitted_invitations = [], [], []
    for invitation in invitations:
        rng = _rng("answers", campaign.year, tax_codes[invitation.business_id])
        invitation.sent_at = _local(campaign.open_on, 8)
        roll = rng.random()
        if roll >= RESPONSE_SHARE:
            if rng.random() < OPENED_WITHOUT_ANSWER:
                invitation.opened_at = _local(campaign.open_on + datetime.timedelta(days=rng.randrange(days)), 10)
            invitation.reminder_count = rng.choice([0, 1, 2, 2])
            if invitation.reminder_count:
                invitation.last_reminded_at = _local(
                    campaign.open_on + datetime.timedelta(days=7 * invitation.reminder_count), 8
                )
            continue
        kind = "complete"
        if rng.random() < INCOMPLETE_SHARE:
            kind = "incomplete"
        elif rng.random() < STRAIGHT_LINING_SHARE / (1 - INCOMPLETE_SHARE):
            kind = "straight"
        started = _local(campaign.open_on + datetime.timedelta(days=rng.randrange(days)), rng.randrange(7, 21))
        finished = started + datetime.timedelta(minutes=rng.randrange(12, 90))
        invitation.opened_at, invitation.submitted_at = started, finished
        submitted_invitations.append(invitation)
        source = ResponseSource.PAPER if rng.random() < PAPER_SHARE else ResponseSource.WEB
        generosity = rng.gauss(0, 0.35)
        invited_units = units.get(invitation.pk, [])
        answered_units = invited_units if rng.random() < BOTH_UNITS_SHARE else invited_units[:1]
        for unit in answered_units:
            responses.append(
                Response(
                    invitation=invitation,
                    campaign=campaign,
                    segment=invitation.segment,
                    unit=unit,
                    source=source,
                    comment=rng.choice(COMMENTS) if rng.random() < 0.12 else "",
                    started_at=started,
                )
            )
            answer_sets.append((_answers_of(rng, questions, unit, generosity, kind), finished))
    Response.objects.bulk_create(responses, batch_size=1000)
    Answer.objects.bulk_create(
        (
            Answer(response=response, question_id=question_id, value=value, choice=choice, answered_at=finished)
            for response, (values, finished) in zip(responses, answer_sets, strict=True)
            for question_id, (value, choice) in values.items()
        ),
        batch_size=BATCH_SIZE,
    )
    # Judged by the function submit uses, in chunks (three queries each).
    for start in range(0, len(responses), 500):
        services._judge(campaign, responses[start : start + 500])
    for response in responses:
        response.submitted_at = response.invitation.submitted_at
        response.is_valid = not response.invalid_reasons
    Response.objects.bulk_update(
        responses,
        ["submitted_at", "is_valid", "invalid_reasons", "completion", "flagged_straight_lining"],
        batch_size=1000,
    )
    Invitation.objects.bulk_update(
        invitations,
        ["sent_at", "opened_at", "submitted_at", "reminder_count", "last_reminded_at"],
        batch_size=1000,
    )
    created["last year's responses"] = len(responses)
    created["last year's answers"] = sum(len(values) for values, _finished in answer_sets)


def _last_year_campaign(department: Department, year: int, scale: float, created: dict) -> Campaign:
    existing = Campaign.objects.filter(department=department, year=year).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        campaign = services.create_campaign(
            department,
            year,
            actor=None,
            open_on=datetime.date(year, 11, 1),
            close_on=datetime.date(year, 12, 31),
        )
        campaign = services.open_campaign(campaign, actor=None)
        invitations = _invite_from_declarations(campaign)
        # Even a small demo invites enough businesses for every unit to reach the CDCI's minimum of valid
        # responses (cdci.models.CdciMethod.min_respondents, 10), so last year's ranking can be published.
        target = max(MIN_INVITATIONS_PER_UNIT * campaign.units.count(), round(LAST_YEAR_INVITATIONS * scale))
        invitations += _invite_panel(campaign, target - len(invitations), created)
        created["last year's invitations"] = len(invitations)
        _answer_last_year(campaign, invitations, created)
        campaign = services.close_campaign(campaign, actor=None)
    return campaign


# --- this year's campaign: through the services ------------------------------------------------------


def _this_year_campaign(
    department: Department, year: int, last_year: Campaign, today: datetime.date, created: dict
) -> Campaign:
    existing = Campaign.objects.filter(department=department, year=year).first()
    if existing is not None:
        return existing
    close_on = max(datetime.date(year, 12, 31), today + datetime.timedelta(days=30))
    with transaction.atomic():
        campaign = services.create_campaign(
            department, year, copy_from=last_year, actor=None, open_on=today, close_on=close_on
        )
        campaign = services.open_campaign(campaign, actor=None)
        invitations = _invite_from_declarations(campaign)
        # Letters went out on the first day (the demo businesses have no e-mail address).
        services.mark_letters_sent(campaign, [invitation.pk for invitation in invitations], actor=None)
        created["this year's invitations"] = len(invitations)
        _answer_a_few(campaign, invitations, created)
    return campaign


def _answer_a_few(campaign: Campaign, invitations: list[Invitation], created: dict) -> None:
    """A few businesses answered already (and two are half way), through save_answers and submit."""
    if not campaign.accepts_answers_on(timezone.localdate()):
        return
    questions = list(campaign.questions.order_by("component__position", "position"))
    # Every seventh invitation, starting from the end: never the sample code (the first unanswered).
    chosen = invitations[::-7][: THIS_YEAR_SUBMITTED + THIS_YEAR_IN_PROGRESS]
    for number, invitation in enumerate(chosen):
        rng = _rng("this-year", campaign.year, invitation.business_id)
        generosity = rng.gauss(0, 0.35)
        in_progress = number >= THIS_YEAR_SUBMITTED
        for unit in [link.branch for link in invitation.unit_links.select_related("branch").order_by("rank")]:
            asked = questions[: len(questions) // 3] if in_progress else questions
            quality = UNIT_QUALITY.get(unit.code, 0.3)
            answers = {question.pk: demo_value(rng, question, quality, generosity) for question in asked}
            services.save_answers(invitation, unit, answers)
        if not in_progress:
            services.submit(invitation)
    created["this year's questionnaires answered"] = min(len(chosen), THIS_YEAR_SUBMITTED)
