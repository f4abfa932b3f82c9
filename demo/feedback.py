"""Demo declarations and their ratings: eighteen months of clearance at the branches of the demo department.

Each day's declarations come from a random.Random seeded with that day alone, so a given day always
yields the same declarations (numbers included) whatever month the command runs in. They enter through
`ingest_declarations`, the upsert the API uses, so a rerun finds them unchanged and never duplicates.

Ratings likewise come from a random.Random seeded with the declaration number, so a declaration always
gets the same rating; see `build_ratings` for why they are bulk-written rather than sent through
`submit_rating`.
"""

import datetime
import functools
import itertools
import math
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass

import holidays
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F

from core import clock
from directory.choices import Role
from directory.models import (
    Branch,
    Business,
    BusinessMembership,
    Department,
    Officer,
    OutboxMessage,
    Team,
    TeamMembership,
    User,
)
from feedback.cases import jobs, services
from feedback.cases.services import open_cases_at_rating_time
from feedback.choices import DISSATISFIED_LEVELS, CaseStatus, Channel, Level, Reason, Stage, SubmissionChannel
from feedback.declarations.checks import LOCAL_TZ
from feedback.declarations.services import IngestResult, ingest_declarations
from feedback.models import Declaration, DeclarationOfficer, DissatisfactionCase, Rating, RatingOfficer
from feedback.ratings.services import COMMENT_MAX_LENGTH, submit_rating
from feedback.ratings.window import open_for_rating

from .directory import SEED, clearance_team_weights, months_before

DECLARATION_COUNT = 30_000
MONTHS = 18
BATCH_SIZE = 1_000
# The newest declarations are still being processed at the present of the run.
UNCLEARED_NEWEST = 40
# Day numbers in declaration numbers count from here (5 digits last until 2273).
NUMBER_EPOCH = datetime.date(2000, 1, 1)

# Share of the department's declarations handled by each branch; Móng Cái is the busiest.
BRANCH_SHARE = {"MC": 34, "CL": 18, "HG": 12, "CP": 12, "VG": 9, "BPS": 8, "HM": 7}
EXPORT_SHARE = 0.4
IMPORT_TYPES = [
    ("A11", 40),
    ("A12", 15),
    ("A31", 3),
    ("A41", 12),
    ("A42", 3),
    ("E11", 8),
    ("E31", 4),
    ("G12", 8),
    ("C11", 7),
]
EXPORT_TYPES = [("B11", 50), ("B13", 5), ("E42", 10), ("E52", 18), ("E62", 4), ("G22", 5), ("C21", 8)]
# Risk classes of businesses: (share of businesses, channel weights green/yellow/red). Overall about
# 65% green, 25% yellow and 10% red, but a risky business is sent to red far more often.
RISK_CLASSES = [(60, (75, 19, 6)), (30, (55, 32, 13)), (10, (35, 40, 25))]
CHANNELS = (Channel.GREEN.value, Channel.YELLOW.value, Channel.RED.value)
# Volume by weekday (border gates open on weekends, at a lower pace) and by month (the rush before Tết).
WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.15)
MONTH_FACTOR = {1: 1.15, 2: 0.8, 12: 1.1}
HOLIDAY_FACTOR = 0.1
# A fixed 18-month window sets the daily base, so a day's volume does not depend on the run's month.
REFERENCE_START = datetime.date(2024, 1, 1)


@dataclass(frozen=True)
class BusinessProfile:
    """How a demo business trades: how much, through which branches, what, with which risk."""

    tax_code: str
    name: str
    is_in_province: bool
    activity: float
    branches: tuple[str, ...]
    branch_weights: tuple[float, ...]
    export_share: float
    channel_weights: tuple[int, int, int]


def business_profiles(businesses: list[Business]) -> list[BusinessProfile]:
    """One profile per business, drawn in tax-code order. Each business mostly uses one or two branches."""
    rng = random.Random(f"{SEED}:profiles")
    branch_codes, branch_weights = zip(*BRANCH_SHARE.items(), strict=True)
    risk_shares, risk_channels = zip(*RISK_CLASSES, strict=True)
    profiles = []
    for business in sorted(businesses, key=lambda b: b.tax_code):
        primary = rng.choices(branch_codes, branch_weights)[0]
        others = [code for code in branch_codes if code != primary]
        secondary = rng.choices(others, [BRANCH_SHARE[code] for code in others])[0]
        # 5% of the time anywhere, by branch share; otherwise the usual one or two branches.
        usual = (0.95, 0.0) if rng.random() < 0.45 else (0.65, 0.30)
        weights = {code: 0.05 * share / sum(branch_weights) for code, share in BRANCH_SHARE.items()}
        weights[primary] += usual[0]
        weights[secondary] += usual[1]
        profiles.append(
            BusinessProfile(
                tax_code=business.tax_code,
                name=business.name,
                is_in_province=business.is_in_province,
                # Heavy-tailed, as in reality: a few businesses file most declarations.
                activity=min(rng.paretovariate(1.2), 60.0),
                branches=branch_codes,
                branch_weights=tuple(weights[code] for code in branch_codes),
                export_share=min(0.95, max(0.05, rng.betavariate(2, 3) * EXPORT_SHARE / 0.4)),
                channel_weights=rng.choices(risk_channels, risk_shares)[0],
            )
        )
    return profiles


def demo_account_businesses(profiles: list[BusinessProfile]) -> list[str]:
    """Tax codes for the `business` demo account: the busiest in-province business, then the next busiest."""
    busiest = sorted(profiles, key=lambda p: (-p.activity, p.tax_code))
    main = next((p for p in busiest if p.is_in_province), busiest[0])
    second = next(p for p in busiest if p is not main)
    return [main.tax_code, second.tax_code]


class _Roster:
    """Who was in which team on a given day, from one query over the memberships."""

    def __init__(self, department: Department):
        self.rows = list(
            TeamMembership.objects.filter(team__branch__department=department)
            .order_by("officer__code", "started_on")
            .values_list("officer__code", "team__code", "team__branch__code", "started_on", "ended_on")
        )
        self.weights = clearance_team_weights()

    def clearance_teams_on(self, day: datetime.date) -> dict[str, tuple[list[str], list[int], list[list[str]]]]:
        """Branch code -> (team codes, weights, officer codes) of the declaration-handling teams staffed that day."""
        members: dict[str, list[str]] = {}
        for officer_code, team_code, _branch, started_on, ended_on in self.rows:
            if team_code in self.weights and started_on <= day and (ended_on is None or day <= ended_on):
                members.setdefault(team_code, []).append(officer_code)
        by_branch: dict[str, tuple[list, list, list]] = {}
        for team_code in sorted(members):
            codes, weights, officers = by_branch.setdefault(team_code.split("-")[0], ([], [], []))
            codes.append(team_code)
            weights.append(self.weights[team_code])
            officers.append(members[team_code])
        return by_branch


@functools.cache
def _vietnamese_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def day_factor(day: datetime.date) -> float:
    if day in _vietnamese_holidays(day.year):
        return HOLIDAY_FACTOR
    return WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR.get(day.month, 1.0)


@functools.cache
def _reference_volume() -> float:
    days = (months_before(REFERENCE_START, -MONTHS) - REFERENCE_START).days
    return sum(day_factor(REFERENCE_START + datetime.timedelta(days=n)) for n in range(days))


def _clearance_delay(rng: random.Random, channel: str) -> datetime.timedelta:
    """Minutes for green, hours for yellow (document check), up to two days for red (physical inspection)."""
    delays: dict[str, tuple[int, float, int, int]] = {
        Channel.GREEN: (25, 0.7, 3, 240),
        Channel.YELLOW: (180, 0.6, 30, 720),
        Channel.RED: (14 * 60, 0.5, 180, 52 * 60),
    }
    median_minutes, spread, low, high = delays[channel]
    minutes = min(high, max(low, rng.lognormvariate(math.log(median_minutes), spread)))
    return datetime.timedelta(seconds=int(minutes * 60))


# Stage durations in minutes (median, lognormal spread), by channel: most within the charter's timings
# (register within 30 minutes, documents within 2 working hours, inspection within 8), a tail beyond,
# longer on the red channel, whose declarations are the complex ones.
RECEPTION_MINUTES = {Channel.GREEN: (10, 0.6), Channel.YELLOW: (12, 0.6), Channel.RED: (16, 0.75)}
DOCUMENT_CHECK_MINUTES = {Channel.YELLOW: (50, 0.7), Channel.RED: (70, 0.8)}
INSPECTION_MINUTES = (240, 0.6)
STAGE_NAMES = ("received_at", "document_check_done_at", "inspection_done_at")


def _stage_times(rng: random.Random, item: dict) -> dict:
    """The optional stage times of a planned declaration, in order and never after its clearance."""
    channel, registered_at, cleared_at = item["channel"], item["registered_at"], item["cleared_at"]

    def minutes(median: float, spread: float) -> datetime.timedelta:
        return datetime.timedelta(seconds=int(rng.lognormvariate(math.log(median), spread) * 60))

    times = {"received_at": registered_at - minutes(*RECEPTION_MINUTES[channel])}
    if channel in DOCUMENT_CHECK_MINUTES:
        times["document_check_done_at"] = min(registered_at + minutes(*DOCUMENT_CHECK_MINUTES[channel]), cleared_at)
    if channel == Channel.RED:
        times["inspection_done_at"] = min(times["document_check_done_at"] + minutes(*INSPECTION_MINUTES), cleared_at)
    return times


def _officers(rng: random.Random, channel: str, members: list[str]) -> list[dict]:
    """1-3 officers of the team and the stages they handled, by channel."""
    picked = rng.sample(members, min(3, len(members)))
    first, second, third = picked[0], picked[1 % len(picked)], picked[2 % len(picked)]
    if channel == Channel.GREEN:
        stages = [(first, Stage.RECEPTION), (first if rng.random() < 0.5 else second, Stage.RELEASE)]
    elif channel == Channel.YELLOW:
        stages = [(first, Stage.RECEPTION), (second, Stage.DOCUMENT_CHECK), (first, Stage.RELEASE)]
    else:
        stages = [
            (first, Stage.RECEPTION),
            (second, Stage.DOCUMENT_CHECK),
            (third, Stage.PHYSICAL_INSPECTION),
            (second, Stage.RELEASE),
        ]
    return [{"code": code, "stage": stage.value} for code, stage in stages]


def _day_declarations(day: datetime.date, mean: float, profiles, cumulative, teams_by_branch) -> list[dict]:
    rng = random.Random(f"{SEED}:declarations:{day.isoformat()}")
    count = int(mean * rng.uniform(0.85, 1.15) + rng.random())
    opening = datetime.datetime.combine(day, datetime.time(7, 30), tzinfo=LOCAL_TZ)
    items = []
    for _ in range(count):
        profile = rng.choices(profiles, cum_weights=cumulative)[0]
        branch_code = rng.choices(profile.branches, profile.branch_weights)[0]
        team_codes, team_weights, team_members = teams_by_branch[branch_code]
        team_index = rng.choices(range(len(team_codes)), team_weights)[0]
        is_export = rng.random() < profile.export_share
        channel = rng.choices(CHANNELS, profile.channel_weights)[0]
        # Registered in working hours, busiest in the morning.
        registered_at = opening + datetime.timedelta(
            minutes=int(rng.triangular(0, 600, 120)), seconds=rng.randrange(60)
        )
        items.append(
            {
                "number": "30" if is_export else "10",
                "type_code": rng.choices(*zip(*(EXPORT_TYPES if is_export else IMPORT_TYPES), strict=True))[0],
                "channel": channel,
                "business_tax_code": profile.tax_code,
                "business_name": profile.name,
                "branch_code": branch_code,
                "team_code": team_codes[team_index],
                "officers": _officers(rng, channel, team_members[team_index]),
                "registered_at": registered_at,
                "cleared_at": registered_at + _clearance_delay(rng, channel),
            }
        )
    # Their own random stream, so adding them left every other planned value as it was.
    stage_rng = random.Random(f"{SEED}:stages:{day.isoformat()}")
    for item in items:
        item.update(_stage_times(stage_rng, item))
    # Numbers grow with registration time, as VNACCS numbers do: prefix, day, rank in the day.
    items.sort(key=lambda item: item["registered_at"])
    day_number = (day - NUMBER_EPOCH).days
    for rank, item in enumerate(items, start=1):
        item["number"] += f"{day_number:05d}{rank:05d}"
    return items


def plan_declarations(
    department: Department,
    businesses: list[Business],
    *,
    scale: float,
    anchor: datetime.datetime,
    until: datetime.datetime,
) -> list[dict]:
    """The declarations from MONTHS months before `anchor` (the first of the month) to the day before
    `until` (midnight, the present of the run), as ingest items, oldest first; those that clear at or
    after `until`, and the newest few, are not cleared yet.

    A day's declarations depend on the day alone, so a run on a later day adds the days in between and
    clears what has cleared meanwhile, and never gives a number other content.
    """
    profiles = business_profiles(businesses)
    cumulative = list(itertools.accumulate(p.activity for p in profiles))
    roster = _Roster(department)
    per_unit_factor = DECLARATION_COUNT * scale / _reference_volume()
    end = until.date()
    items: list[dict] = []
    day = months_before(anchor.date(), MONTHS)
    while day < end:
        mean = per_unit_factor * day_factor(day)
        items.extend(_day_declarations(day, mean, profiles, cumulative, roster.clearance_teams_on(day)))
        day += datetime.timedelta(days=1)

    uncleared = max(1, round(UNCLEARED_NEWEST * scale))
    for position, item in enumerate(reversed(items)):
        if position < uncleared or item["cleared_at"] >= until:
            item["cleared_at"] = None
            for name in STAGE_NAMES:  # nothing of what is still to come is reported
                if item.get(name) is not None and item[name] >= until:
                    item[name] = None
        elif item["registered_at"] < until - datetime.timedelta(days=3):
            break
    return items


# The core loop of the demo: the `business` account rates, at Móng Cái, a declaration the `officer` account's
# officer handled; a dissatisfied rating opens a case that `leader` works. Its businesses trade mostly
# elsewhere, so each of the LOOP_DAYS days before the present adds one declaration of its first business,
# green, at the officer's team, cleared that day. Its rank in the day is far above any day's own ranks.
LOOP_DAYS = 3
LOOP_RANK = 99_001


def plan_loop_declarations(business: Business, officer: Officer, *, until: datetime.datetime) -> list[dict]:
    """The loop declarations of the LOOP_DAYS days before `until` (midnight, the present of the run), as
    ingest items; each depends on its day alone, so a run on a later day only adds the days in between."""
    membership = (
        TeamMembership.objects.filter(officer=officer, ended_on__isnull=True).select_related("team__branch").first()
    )
    if membership is None:
        return []
    items = []
    for back in range(LOOP_DAYS, 0, -1):
        day = until.date() - datetime.timedelta(days=back)
        rng = random.Random(f"{SEED}:loop:{day.isoformat()}")
        registered_at = datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=LOCAL_TZ)
        registered_at += datetime.timedelta(minutes=rng.randrange(180), seconds=rng.randrange(60))
        item = {
            "number": f"10{(day - NUMBER_EPOCH).days:05d}{LOOP_RANK:05d}",
            "type_code": "A11",
            "channel": Channel.GREEN.value,
            "business_tax_code": business.tax_code,
            "business_name": business.name,
            "branch_code": membership.team.branch.code,
            "team_code": membership.team.code,
            "officers": [
                {"code": officer.code, "stage": Stage.RECEPTION.value},
                {"code": officer.code, "stage": Stage.RELEASE.value},
            ],
            "registered_at": registered_at,
            "cleared_at": registered_at + _clearance_delay(rng, Channel.GREEN),
        }
        item.update(_stage_times(rng, item))
        items.append(item)
    return items


def build_declarations(
    department: Department,
    businesses: list[Business],
    *,
    actor,
    scale: float,
    anchor: datetime.datetime,
    until: datetime.datetime,
    loop: tuple[Business, Officer] | None = None,
    progress: Callable[[int, int, IngestResult], None] | None = None,
) -> IngestResult:
    """Ingest the demo declarations in batches, with the loop declarations of `loop` (business, officer);
    each batch is its own transaction, so an interrupted run resumes where it stopped."""
    items = plan_declarations(department, businesses, scale=scale, anchor=anchor, until=until)
    if loop is not None:
        items.extend(plan_loop_declarations(*loop, until=until))
    total = IngestResult()
    for offset in range(0, len(items), BATCH_SIZE):
        result = ingest_declarations(items[offset : offset + BATCH_SIZE], actor=actor)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
        if progress is not None:
            progress(min(offset + BATCH_SIZE, len(items)), len(items), total)
    return total


# --- Ratings -------------------------------------------------------------------------------------------
#
# Every rating below is what `submit_rating` would store for the same choices (see `rating_rows`), but
# bulk-written: sending twenty-odd thousand ratings through the service one at a time, each inside
# clock.at(its moment), would make a full demo take minutes. The few complaints sent lately (see
# `_fresh_complaint`) do go through it.

# Share of cleared declarations a business rates, drawn per business around 85% (Quảng Ninh: 88% of
# the active businesses took part).
RATED_SHARE_RANGE = (0.74, 0.96)
API_SHARE = 0.4
# Each demo-account business keeps its newest cleared declarations unrated, so "to rate" is never empty.
DEMO_ACCOUNT_PENDING = 4
RATING_BATCH_SIZE = 2_000

# Chance that an entity's experience is poor (level 1-2) or merely acceptable (level 3), before the
# multipliers of the channel, the branch and the officers on the declaration.
POOR_CHANCE = 0.006
FAIR_CHANCE = 0.013
# Red and yellow declarations are rated lower for reasons that are not service quality (DOMAIN.md).
CHANNEL_PENALTY: dict[str, float] = {Channel.GREEN: 1.0, Channel.YELLOW: 1.8, Channel.RED: 3.2}
# Two border-gate branches serve clearly worse; the others differ a little, as real branches do.
BRANCH_PENALTY = {"HM": 4.0, "BPS": 3.2, "MC": 0.9, "HG": 0.8, "CL": 1.0, "CP": 1.1, "VG": 0.85}
# A handful of officers of the busiest teams are clearly worse than their colleagues.
WORSE_OFFICER_TEAMS = ("MC-TT", "MC-TT", "CL-TT", "HG-TT", "CP-TT", "VG-TT")
WORSE_OFFICER_PENALTY = 9.0
# A declaration handled by a worse officer drags its team and branch level down too, a little.
WORSE_OFFICER_SPILLOVER = 1.6
RATES_TEAM = 0.9
RATES_OFFICERS = 0.85
# When the branch level is poor, the complaint names one officer this often.
BLAMES_AN_OFFICER = 0.6

BRANCH_REASON_WEIGHTS: dict[str, float] = {
    Reason.DELAY: 4,
    Reason.PROCEDURAL_ERROR: 2,
    Reason.UNNECESSARY_DOCUMENTS: 2,
    Reason.ATTITUDE: 1,
    Reason.HARASSMENT: 0.5,
    Reason.OTHER: 1,
}
OFFICER_REASON_WEIGHTS: dict[str, float] = {
    Reason.ATTITUDE: 3,
    Reason.UNNECESSARY_DOCUMENTS: 2,
    Reason.DELAY: 2,
    Reason.PROCEDURAL_ERROR: 1.5,
    Reason.HARASSMENT: 1.5,
    Reason.OTHER: 0.5,
}
# What businesses write; content of the demo data, not interface text, hence not translated.
POOR_COMMENTS: dict[str, list[str]] = {
    Reason.DELAY: [
        "Thời gian kiểm tra hồ sơ quá lâu",
        "Hàng chờ kiểm tra thực tế gần hai ngày, ảnh hưởng tiến độ giao hàng",
        "Phản hồi chậm, phải gọi điện nhiều lần mới được xử lý",
    ],
    Reason.UNNECESSARY_DOCUMENTS: [
        "Cán bộ yêu cầu bổ sung giấy tờ không cần thiết",
        "Yêu cầu nộp bản gốc chứng từ đã khai trên hệ thống",
    ],
    Reason.ATTITUDE: [
        "Thái độ phục vụ chưa niềm nở",
        "Cán bộ trả lời cộc lốc, không hướng dẫn cụ thể",
    ],
    Reason.HARASSMENT: [
        "Có dấu hiệu gây khó khăn để doanh nghiệp phải liên hệ riêng",
        "Bị yêu cầu làm việc ngoài giờ không rõ lý do",
    ],
    Reason.PROCEDURAL_ERROR: [
        "Sai sót khi nhập thông tin, doanh nghiệp phải khai bổ sung",
        "Áp mã không thống nhất với lần thông quan trước",
    ],
    Reason.OTHER: ["Hướng dẫn thủ tục chưa rõ ràng", "Khu vực chờ làm thủ tục quá đông, thiếu chỗ ngồi"],
}
FAIR_COMMENTS = [
    "Thời gian thông quan hơi lâu so với thường lệ",
    "Cần hướng dẫn cụ thể hơn về hồ sơ",
    "Lượng hàng đông nên phải chờ lâu",
]
PRAISE_COMMENTS = [
    "Cán bộ hỗ trợ nhiệt tình, thông quan nhanh",
    "Hướng dẫn tận tình, thủ tục nhanh gọn",
    "Rất hài lòng với tinh thần phục vụ",
]
RATER_USERNAME = "demo-rater-{tax_code}"
# The kind of e-mail cases.services.open_case queues for the branch leaders.
CASE_OPENED_MAIL = "case_opened"


@dataclass(frozen=True)
class RatingInput:
    """The choices of a business on one declaration, as `submit_rating` takes them (officers by id)."""

    declaration_id: int
    user_id: int
    channel: str
    created_at: datetime.datetime
    branch_level: int
    team_level: int | None = None
    branch_reasons: tuple[str, ...] = ()
    team_reasons: tuple[str, ...] = ()
    officers: tuple[tuple[int, int, tuple[str, ...]], ...] = ()  # (officer id, level, reasons)
    comment: str = ""


@dataclass(frozen=True)
class RateableDeclaration:
    """What the demo ratings need of a cleared, unrated declaration."""

    id: int
    number: str
    business_id: int
    tax_code: str
    branch_id: int
    branch_code: str
    team_id: int | None
    channel: str
    cleared_at: datetime.datetime
    # Each officer once, with the team of their first link, in link order (as submit_rating takes them).
    officers: tuple[tuple[int, str, int | None], ...]


def rating_rows(declaration: RateableDeclaration, choices: RatingInput) -> tuple[Rating, list[RatingOfficer]]:
    """The unsaved Rating and RatingOfficer rows `submit_rating` would write for these choices.

    Same snapshot (business, branch and team of the declaration, each officer's team of that day from
    their first link), same `is_dissatisfied` (any level 1 or 2, officers included), reasons kept only
    with a level of 1 or 2, comment stripped. The caller checks that the choices are valid.
    """
    officer_teams = {officer_id: team_id for officer_id, _code, team_id in declaration.officers}
    officer_rows = [
        RatingOfficer(
            officer_id=officer_id,
            team_id=officer_teams[officer_id],
            level=level,
            reasons=list(reasons) if level in DISSATISFIED_LEVELS else [],
        )
        for officer_id, level, reasons in choices.officers
    ]
    team_level = choices.team_level if declaration.team_id is not None else None
    levels = [choices.branch_level, team_level, *(row.level for row in officer_rows)]
    rating = Rating(
        declaration_id=declaration.id,
        business_id=declaration.business_id,
        submitted_by_id=choices.user_id,
        submitted_via=choices.channel,
        branch_id=declaration.branch_id,
        team_id=declaration.team_id,
        branch_level=choices.branch_level,
        team_level=team_level,
        branch_reasons=list(choices.branch_reasons) if choices.branch_level in DISSATISFIED_LEVELS else [],
        team_reasons=list(choices.team_reasons) if team_level in DISSATISFIED_LEVELS else [],
        comment=choices.comment.strip()[:COMMENT_MAX_LENGTH],
        is_dissatisfied=any(level in DISSATISFIED_LEVELS for level in levels if level is not None),
        created_at=choices.created_at,
    )
    return rating, officer_rows


def worse_officer_ids(department: Department, *, spare: Collection[int] = ()) -> set[int]:
    """The handful of clearly worse officers: drawn by code from the first members of busy teams.

    `spare`: officer ids never chosen (the demo `officer` account, whose pages should look ordinary).
    """
    first_members = (
        TeamMembership.objects.filter(team__branch__department=department, team__code__in=set(WORSE_OFFICER_TEAMS))
        .order_by("officer__code", "started_on")
        .values_list("officer_id", "officer__code", "team__code")
    )
    candidates: dict[str, list[tuple[str, int]]] = {}
    seen: set[int] = set()
    for officer_id, code, team_code in first_members:
        if officer_id not in seen and officer_id not in spare:
            candidates.setdefault(team_code, []).append((code, officer_id))
        seen.add(officer_id)
    rng = random.Random(f"{SEED}:worse-officers")
    chosen: set[int] = set()
    for team_code in WORSE_OFFICER_TEAMS:
        left = [officer_id for _code, officer_id in candidates.get(team_code, []) if officer_id not in chosen]
        if left:
            chosen.add(rng.choice(left))
    return chosen


def rateable_declarations(department: Department) -> list[RateableDeclaration]:
    """The department's cleared declarations without a rating, by number, in two queries."""
    officers: dict[int, dict[int, tuple[int, str, int | None]]] = {}
    for declaration_id, officer_id, code, team_id in (
        DeclarationOfficer.objects.filter(
            declaration__branch__department=department,
            declaration__cleared_at__isnull=False,
            declaration__rating__isnull=True,
        )
        .order_by("id")
        .values_list("declaration_id", "officer_id", "officer__code", "team_id")
    ):
        officers.setdefault(declaration_id, {}).setdefault(officer_id, (officer_id, code, team_id))
    rows = (
        Declaration.objects.filter(branch__department=department, cleared_at__isnull=False, rating__isnull=True)
        .order_by("number")
        .values_list(
            "id",
            "number",
            "business_id",
            "business__tax_code",
            "branch_id",
            "branch__code",
            "team_id",
            "channel",
            "cleared_at",
        )
    )
    return [
        # cleared_at is typed optional, but the query keeps cleared declarations only.
        RateableDeclaration(*row, officers=tuple(officers.get(row[0], {}).values()))  # type: ignore[arg-type]
        for row in rows
    ]


@dataclass(frozen=True)
class RaterHabits:
    """How one business rates: how often, from where, how generously."""

    rated_share: float
    api_share: float
    generosity: float  # chance that a satisfied experience gets 5 rather than 4


@functools.cache
def rater_habits(tax_code: str) -> RaterHabits:
    rng = random.Random(f"{SEED}:rater:{tax_code}")
    return RaterHabits(
        rated_share=rng.uniform(*RATED_SHARE_RANGE),
        # Declaration software with the rating API is all or mostly nothing for a business.
        api_share=min(0.95, max(0.02, rng.gauss(API_SHARE, 0.25))),
        generosity=rng.uniform(0.5, 0.9),
    )


def _experience(rng: random.Random, penalty: float) -> str:
    """ "poor" (level 1-2), "fair" (3) or "good" (4-5)."""
    draw = rng.random()
    if draw < POOR_CHANCE * penalty:
        return "poor"
    if draw < (POOR_CHANCE + FAIR_CHANCE) * penalty:
        return "fair"
    return "good"


def _level(rng: random.Random, experience: str, generosity: float) -> int:
    if experience == "good":
        return Level.VERY_SATISFIED if rng.random() < generosity else Level.SATISFIED
    if experience == "fair":
        return Level.NORMAL
    return Level.DISSATISFIED if rng.random() < 0.7 else Level.VERY_DISSATISFIED


def _reasons(rng: random.Random, weights: dict[str, float], channel: str) -> tuple[str, ...]:
    weights = dict(weights)
    if channel != Channel.GREEN:  # checks and inspections are where documents and delays come up
        weights[Reason.UNNECESSARY_DOCUMENTS] *= 1.5
        weights[Reason.DELAY] *= 2.0 if channel == Channel.RED else 1.3
    reasons = list(weights)
    picked = rng.choices(reasons, [weights[reason] for reason in reasons], k=1 if rng.random() < 0.7 else 2)
    return tuple(dict.fromkeys(picked))


def plan_rating(
    declaration: RateableDeclaration, *, user_id: int, until: datetime.datetime, worse_officers: set[int]
) -> RatingInput | None:
    """The rating the business sent for `declaration` before `until`, or None if it has not (yet) rated it.

    Drawn from the declaration number alone, so a declaration gets the same rating in any run.
    """
    rng = random.Random(f"{SEED}:rating:{declaration.number}")
    habits = rater_habits(declaration.tax_code)
    if rng.random() >= habits.rated_share:
        return None
    channel = SubmissionChannel.API if rng.random() < habits.api_share else SubmissionChannel.WEB
    # Declaration software asks right after clearance; on the web it takes hours, sometimes days.
    median_minutes, spread = (30, 1.0) if channel == SubmissionChannel.API else (5 * 60, 1.3)
    latest = (settings.RATING_WINDOW_DAYS * 24 - 1) * 60
    minutes = min(latest, max(2, rng.lognormvariate(math.log(median_minutes), spread)))
    created_at = declaration.cleared_at + datetime.timedelta(seconds=int(minutes * 60))
    if created_at >= until:
        return None  # the business has not got round to it yet

    worse_on_declaration = [o for o, _code, _team in declaration.officers if o in worse_officers]
    channel_penalty = CHANNEL_PENALTY[declaration.channel]
    unit_penalty = channel_penalty * BRANCH_PENALTY.get(declaration.branch_code, 1.0)
    if worse_on_declaration:
        unit_penalty *= WORSE_OFFICER_SPILLOVER
    branch_experience = _experience(rng, unit_penalty)
    team_experience = branch_experience if rng.random() < 0.8 else _experience(rng, unit_penalty)

    officer_choices: list[tuple[int, int, tuple[str, ...]]] = []
    if declaration.officers and rng.random() < RATES_OFFICERS:
        blamed = None
        if branch_experience == "poor" and rng.random() < BLAMES_AN_OFFICER:
            blamed = rng.choice(worse_on_declaration or [o for o, _code, _team in declaration.officers])
        for officer_id, _code, _team in declaration.officers:
            if officer_id == blamed:
                experience = "poor"
            else:
                officer_penalty = WORSE_OFFICER_PENALTY if officer_id in worse_officers else 1.0
                experience = _experience(rng, channel_penalty * officer_penalty)
            level = _level(rng, experience, habits.generosity)
            reasons = _reasons(rng, OFFICER_REASON_WEIGHTS, declaration.channel) if experience == "poor" else ()
            officer_choices.append((officer_id, level, reasons))

    branch_level = _level(rng, branch_experience, habits.generosity)
    branch_reasons = _reasons(rng, BRANCH_REASON_WEIGHTS, declaration.channel) if branch_experience == "poor" else ()
    team_level = team_reasons = None
    if declaration.team_id is not None and rng.random() < RATES_TEAM:
        team_level = _level(rng, team_experience, habits.generosity)
        team_reasons = _reasons(rng, BRANCH_REASON_WEIGHTS, declaration.channel) if team_experience == "poor" else ()

    comment = ""
    poor_reasons = [
        reason
        for reasons in (branch_reasons, team_reasons or (), *(r for _o, _l, r in officer_choices))
        for reason in reasons
    ]
    levels = [branch_level, team_level, *(level for _o, level, _r in officer_choices)]
    if poor_reasons and rng.random() < 0.75:
        comment = rng.choice(POOR_COMMENTS[poor_reasons[0]])
    elif Level.NORMAL in levels and rng.random() < 0.2:
        comment = rng.choice(FAIR_COMMENTS)
    elif rng.random() < 0.03:
        comment = rng.choice(PRAISE_COMMENTS)
    return RatingInput(
        declaration_id=declaration.id,
        user_id=user_id,
        channel=channel,
        created_at=created_at,
        branch_level=branch_level,
        team_level=team_level,
        branch_reasons=branch_reasons,
        team_reasons=team_reasons or (),
        officers=tuple(officer_choices),
        comment=comment,
    )


def demo_account_pending(business_ids: list[int]) -> set[int]:
    """Ids of the declarations of the demo-account businesses which stay unrated: the newest cleared ones
    of each, and the newest loop declarations (see LOOP_DAYS)."""
    pending: set[int] = set()
    for business_id in business_ids:
        newest = Declaration.objects.filter(business_id=business_id, cleared_at__isnull=False).order_by(
            "-cleared_at", "-number"
        )
        pending.update(newest.values_list("id", flat=True)[:DEMO_ACCOUNT_PENDING])
        loop = newest.filter(number__endswith=f"{LOOP_RANK:05d}")
        pending.update(loop.values_list("id", flat=True)[:LOOP_DAYS])
    return pending


def rater_users(business_ids: set[int], *, demo_account: User) -> dict[int, int]:
    """Business id -> id of the user whose ratings it sends, creating the missing ones.

    Rating.submitted_by is required, and ratings must come from a user acting for the business (as
    submit_rating checks). The demo `business` account rates for its own businesses; every other
    business gets one declarant account, `demo-rater-<tax code>`, with no usable password and no
    reminders, so nobody signs in as it or mails it.
    """
    raters = dict(
        BusinessMembership.objects.filter(user=demo_account, business_id__in=business_ids).values_list(
            "business_id", "user_id"
        )
    )
    tax_codes = dict(Business.objects.filter(pk__in=business_ids - raters.keys()).values_list("pk", "tax_code"))
    usernames = {RATER_USERNAME.format(tax_code=tax_code): pk for pk, tax_code in tax_codes.items()}
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    User.objects.bulk_create(
        User(
            username=username,
            password=make_password(None),
            first_name="Người khai hải quan",
            role=Role.BUSINESS,
            is_demo=True,
            wants_rating_reminders=False,
        )
        for username in sorted(usernames.keys() - existing)
    )
    users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    has = set(BusinessMembership.objects.filter(user_id__in=users.values()).values_list("user_id", "business_id"))
    BusinessMembership.objects.bulk_create(
        BusinessMembership(user_id=users[username], business_id=business_id)
        for username, business_id in sorted(usernames.items())
        if (users[username], business_id) not in has
    )
    raters.update({business_id: users[username] for username, business_id in usernames.items()})
    return raters


def build_ratings(
    department: Department,
    *,
    demo_account: User,
    until: datetime.datetime,
    leader: User | None = None,
    spare_officers: Collection[int] = (),
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rate about 85% of the department's cleared declarations as their businesses did before `until`.

    Bulk-written through `rating_rows`, which mirrors `submit_rating`; each dissatisfied rating gets its
    case in the same transaction, as the service's hook opens it (see `_open_cases`). Only unrated
    declarations are considered, so a rerun creates nothing. Left unrated: the newest of the demo
    account's businesses (to rate) and, when `leader` is given, the declaration of their branch's fresh
    complaint (see `fresh_complaint_declaration`). Returns the ratings created.
    """
    worse_officers = worse_officer_ids(department, spare=spare_officers)
    demo_businesses = list(
        BusinessMembership.objects.filter(user=demo_account)
        .order_by("business_id")
        .values_list("business_id", flat=True)
    )
    kept_pending = demo_account_pending(demo_businesses)
    fresh = fresh_complaint_declaration(leader, business_ids=demo_businesses, until=until) if leader else None
    if fresh is not None:
        kept_pending.add(fresh.pk)
    declarations = [d for d in rateable_declarations(department) if d.id not in kept_pending]
    if not declarations:
        return 0
    raters = rater_users({d.business_id for d in declarations}, demo_account=demo_account)
    planned = [
        (declaration, choices)
        for declaration in declarations
        if (
            choices := plan_rating(
                declaration, user_id=raters[declaration.business_id], until=until, worse_officers=worse_officers
            )
        )
        is not None
    ]
    for offset in range(0, len(planned), RATING_BATCH_SIZE):
        batch = planned[offset : offset + RATING_BATCH_SIZE]
        rows = [rating_rows(declaration, choices) for declaration, choices in batch]
        with transaction.atomic():
            ratings = Rating.objects.bulk_create([rating for rating, _officers in rows])
            officer_rows = []
            for rating, (_unsaved, officers) in zip(ratings, rows, strict=True):
                for row in officers:
                    row.rating_id = rating.pk
                officer_rows.extend(officers)
            RatingOfficer.objects.bulk_create(officer_rows)
            _open_cases([rating for rating in ratings if rating.is_dissatisfied])
        if progress is not None:
            progress(offset + len(batch), len(planned))
    return len(planned)


def _open_cases(ratings: list[Rating]) -> None:
    """Open the case of each dissatisfied rating as `on_dissatisfied_rating` does, but dated to the rating.

    The branch leaders' notices of these old complaints are recorded as sent back then, rather than
    mailed now: a fresh demo must not send hundreds of e-mails about last year's cases.
    """
    if not ratings:
        return
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    open_cases_at_rating_time(ratings)  # what open_case(rating, now=rating.created_at) does, for the lot
    OutboxMessage.objects.filter(pk__gt=last_message, kind=CASE_OPENED_MAIL, sent_at__isnull=True).update(
        sent_at=F("created_at")
    )


# --- Dissatisfaction cases in every state ---------------------------------------------------------------
#
# The ratings above open their cases as "new", dated to the rating. To show the workflow, a fixed subset
# of them is worked through the real case services by the right people: the branch leader assigns,
# concludes and answers; a team leader of the branch records the findings; the business that complained
# accepts or disputes. The services stamp each step with core.clock.now(), so each step runs inside
# clock.at(a moment between the opening and the present): the trail then reads in order, as if the
# branch had worked the case back then.

# The newest cases of each branch, newest first, get these states; the older ones are closed (accepted
# or, mostly, automatically after the dispute window). The one dispute goes to the first branch.
RECENT_CASE_STATES = (
    ["new", "assigned", "verifying", "concluded", "answered", "disputed", "accepted", "auto"]
    + ["new", "assigned", "verifying", "concluded", "answered", "accepted"]
    + ["new", "assigned", "verifying", "concluded", "answered"]
)
DISPUTED_BRANCH = "MC"
# Of the older cases, one in ACCEPTED_EVERY is accepted, one in LATE_EVERY answered after its due date.
ACCEPTED_EVERY = 3
LATE_EVERY = 4
DEMO_LEADER_USERNAME = "demo-leader-{code}"
DEMO_VERIFIER_USERNAME = "demo-team-leader-{code}"
# Content of the demo data, as a Vietnamese branch writes it; not interface text, hence not translated.
DEMO_FINDINGS = [
    "Đã kiểm tra hồ sơ và nhật ký hệ thống: tờ khai phải chờ kiểm tra hồ sơ lâu hơn quy định.",
    "Đã làm việc với công chức và xem lại camera khu vực làm thủ tục; chưa thấy biểu hiện sách nhiễu.",
    "Hồ sơ được yêu cầu bổ sung một chứng từ không cần thiết theo quy định hiện hành.",
    "Thời gian xử lý đúng quy định; doanh nghiệp chờ do lượng hàng đông trong ngày.",
]
DEMO_CONCLUSIONS = {
    "substantiated": (
        "Nhắc nhở công chức, tổ chức rút kinh nghiệm toàn Đội.",
        "Đã báo cáo lãnh đạo Chi cục; theo dõi công chức trong quý tới.",
        "Chi cục ghi nhận phản ánh của Quý doanh nghiệp là có cơ sở. Chi cục đã nhắc nhở công chức liên quan "
        "và tổ chức rút kinh nghiệm. Trân trọng cảm ơn Quý doanh nghiệp.",
    ),
    "partly": (
        "Điều chỉnh phân công để giảm thời gian chờ kiểm tra hồ sơ.",
        "Một phần do lượng hàng đông; một phần do chậm phân công.",
        "Phản ánh của Quý doanh nghiệp có cơ sở một phần: thời gian chờ kéo dài do lượng hàng đông và việc phân "
        "công chưa kịp thời. Chi cục đã điều chỉnh cách phân công. Trân trọng cảm ơn Quý doanh nghiệp.",
    ),
    "not_substantiated": (
        "",
        "Đã đối chiếu nhật ký hệ thống, không có vi phạm.",
        "Qua xác minh, việc xử lý tờ khai đúng quy trình và thời hạn. Chi cục xin cung cấp thông tin để Quý doanh "
        "nghiệp nắm rõ và mong tiếp tục nhận được góp ý. Trân trọng cảm ơn Quý doanh nghiệp.",
    ),
}
DEMO_DISPUTE = "Doanh nghiệp chưa đồng ý: hàng vẫn phải chờ quá thời gian công bố trong Tuyên ngôn phục vụ khách hàng."
CASE_WORK_STEPS = ("assign", "findings", "conclude", "answer")


# The demo `leader`'s branch always has a fresh complaint, new and inside its due date, whatever the day of
# the run: the branch's newest cleared declaration (of a business other than the demo account's) is kept
# out of the bulk ratings and rated "dissatisfied" through submit_rating, a little after its clearance and
# at most a day before the present. A run on a later day adds one about the newer declaration; a rerun on
# the same day finds it rated and adds nothing.
FRESH_COMPLAINT_DELAY = datetime.timedelta(hours=2)
FRESH_COMPLAINT_WITHIN = datetime.timedelta(days=1)
FRESH_COMPLAINT_REASONS = (Reason.DELAY, Reason.UNNECESSARY_DOCUMENTS, Reason.ATTITUDE)


def fresh_complaint_declaration(
    leader: User, *, business_ids: Collection[int], until: datetime.datetime
) -> Declaration | None:
    """The declaration of the fresh complaint in `leader`'s branch (rated already or not), or None."""
    if leader.branch_id is None:
        return None
    window_opened = until - datetime.timedelta(days=settings.RATING_WINDOW_DAYS)
    return (
        Declaration.objects.filter(branch_id=leader.branch_id, cleared_at__gt=window_opened, cleared_at__lt=until)
        .exclude(business_id__in=business_ids)
        .order_by("-cleared_at", "-number")
        .first()
    )


def _rating_moment(cleared_at: datetime.datetime, until: datetime.datetime) -> datetime.datetime:
    """When a complaint sent "recently" about a declaration cleared at `cleared_at` was sent: a little after
    the clearance, at most a day before `until`, always between the two."""
    moment = max(cleared_at + FRESH_COMPLAINT_DELAY, until - FRESH_COMPLAINT_WITHIN)
    return moment if moment < until else cleared_at + (until - cleared_at) / 2


def _fresh_complaint(leader: User, *, business_account: User, business_ids: Collection[int], until) -> None:
    declaration = fresh_complaint_declaration(leader, business_ids=business_ids, until=until)
    if declaration is None or Rating.objects.filter(declaration=declaration).exists():
        return
    assert declaration.cleared_at is not None  # the query keeps cleared declarations only
    rater_id = rater_users({declaration.business_id}, demo_account=business_account)[declaration.business_id]
    rng = random.Random(f"{SEED}:fresh-complaint:{declaration.number}")
    reason = rng.choice(FRESH_COMPLAINT_REASONS)
    with clock.at(_rating_moment(declaration.cleared_at, until)):
        submit_rating(
            declaration,
            User.objects.get(pk=rater_id),
            channel=SubmissionChannel.WEB,
            branch_level=Level.DISSATISFIED,
            branch_reasons=[reason],
            comment=rng.choice(POOR_COMMENTS[reason]),
        )


def _branch_people(branch: Branch, leader: User | None) -> tuple[User, User]:
    """(branch leader, verifier) of a branch: existing accounts first, else demo accounts that cannot sign in."""
    if leader is None or leader.branch_id != branch.pk:
        leader = User.objects.filter(role=Role.BRANCH_LEADER, branch=branch, is_active=True).order_by("pk").first()
    if leader is None:
        leader, _created = User.objects.get_or_create(
            username=DEMO_LEADER_USERNAME.format(code=branch.code.lower()),
            defaults={
                "password": make_password(None),
                "first_name": "Lãnh đạo",
                "last_name": branch.name,
                "role": Role.BRANCH_LEADER,
                "branch": branch,
                "is_demo": True,
                "wants_rating_reminders": False,
            },
        )
    verifier = (
        User.objects.filter(role=Role.TEAM_LEADER, team__branch=branch, is_active=True, officer__isnull=True)
        .order_by("pk")
        .first()
    )
    if verifier is None:
        team = Team.objects.filter(branch=branch).order_by("code").first()
        assert team is not None  # every demo branch has its teams
        verifier, _created = User.objects.get_or_create(
            username=DEMO_VERIFIER_USERNAME.format(code=branch.code.lower()),
            defaults={
                "password": make_password(None),
                "first_name": "Đội trưởng",
                "last_name": team.name,
                "role": Role.TEAM_LEADER,
                "team": team,
                "is_demo": True,
                "wants_rating_reminders": False,
            },
        )
    return leader, verifier


def plan_case_states(cases: list[DissatisfactionCase], *, business_ids: set[int]) -> dict[int, str]:
    """Case id -> the state the demo leaves it in, by rank of opening in its branch (newest first).

    The demo `business` account must have an answer to read: if none of its cases is planned
    "answered", its newest one is.
    """
    by_branch: dict[int, list[DissatisfactionCase]] = {}
    for case in sorted(cases, key=lambda c: (c.opened_at, c.pk), reverse=True):
        by_branch.setdefault(case.branch_id, []).append(case)
    plan: dict[int, str] = {}
    for branch_cases in by_branch.values():
        recent = [
            state
            for state in RECENT_CASE_STATES
            if state != "disputed" or branch_cases[0].branch.code == DISPUTED_BRANCH
        ]
        for rank, case in enumerate(branch_cases):
            if rank < len(recent):
                plan[case.pk] = recent[rank]
            else:
                plan[case.pk] = "accepted" if (rank - len(recent)) % ACCEPTED_EVERY == 0 else "auto"
    theirs = [case for case in cases if case.business_id in business_ids]
    if theirs and not any(plan[case.pk] == "answered" for case in theirs):
        plan[max(theirs, key=lambda c: (c.opened_at, c.pk)).pk] = "answered"
    return plan


def _offsets(case: DissatisfactionCase, state: str, rank: int, now: datetime.datetime) -> list[datetime.timedelta]:
    """When (after the opening) each step of `state` happens; squeezed to end an hour before `now`."""
    day, hour = datetime.timedelta(days=1), datetime.timedelta(hours=1)
    since_opening = now - case.opened_at
    answer_at = 3 * day
    if state == "auto" and rank % LATE_EVERY == 0:
        answer_at = 9 * day  # late: past the five working days
    if state in ("answered", "disputed"):
        # Recent enough for the business to accept or dispute within the window.
        answer_at = max(answer_at, since_opening - (4 if state == "answered" else 3) * day)
    steps = {
        "assigned": [hour],
        "verifying": [hour, day],
        "concluded": [hour, day, 2 * day],
        "answered": [hour, day, 2 * day, answer_at],
        "accepted": [hour, day, 2 * day, answer_at, answer_at + day],
        "disputed": [hour, day, 2 * day, answer_at, answer_at + 2 * day],
        "auto": [hour, day, 2 * day, answer_at],
    }[state]
    last = since_opening - hour
    if steps[-1] > last:
        steps = [step * (last / steps[-1]) for step in steps]
    return steps


# Share of the accepted demo cases whose handling the business also rated.
HANDLING_RATED_SHARE = 0.8


def _work_case(case, state: str, rank: int, people, rater: User, now: datetime.datetime) -> None:
    leader, verifier = people
    rng = random.Random(f"{SEED}:case:{case.rating.declaration.number}")
    conclusion = rng.choices(list(DEMO_CONCLUSIONS), weights=[2, 3, 5])[0]
    corrective, note, answer_text = DEMO_CONCLUSIONS[conclusion]
    moments = [case.opened_at + offset for offset in _offsets(case, state, rank, now)]
    if moments and moments[0] <= case.opened_at:
        moments = [now] * len(moments)  # opened this very moment (the fallback below): work it now
    steps = [
        lambda: services.assign(case, verifier, leader),
        lambda: services.record_findings(case, rng.choice(DEMO_FINDINGS), verifier),
        lambda: services.conclude(case, conclusion, corrective, note, leader),
        lambda: services.answer(case, answer_text, leader, now=moments[3]),
    ]
    if state == "accepted":
        # Most businesses that accept also say how the handling went (levels 3-5; a 1-2 would dispute).
        if rng.random() < HANDLING_RATED_SHARE:
            level = rng.choices([5, 4, 3], weights=[5, 4, 1])[0]
            steps.append(lambda: (services.rate_handling(case, level, "", rater), services.accept(case, rater)))
        else:
            steps.append(lambda: services.accept(case, rater))
    elif state == "disputed":
        # The dispute comes as a dissatisfied rating of the handling: it sends the case to the department.
        steps.append(lambda: services.rate_handling(case, 2, DEMO_DISPUTE, rater, now=moments[4]))
    for moment, step in zip(moments, steps, strict=False):
        with clock.at(moment):
            step()
    if state == "auto":
        closes_at = moments[3] + datetime.timedelta(days=settings.CASE_DISPUTE_DAYS, hours=1)
        if closes_at <= now:
            with clock.at(closes_at):
                # This case only: the whole table's answered cases once per case would make the phase quadratic.
                jobs.close_answered_cases(now=closes_at, case_ids=[case.pk])


def _answerable_case_for(business_ids: list[int], now: datetime.datetime) -> DissatisfactionCase | None:
    """A dissatisfied rating of the demo business, sent lately through submit_rating, when it has no case at all.

    Chosen among its cleared, unrated declarations still open for rating at `now`, the newest kept aside.
    """
    kept = demo_account_pending(business_ids)
    declaration = (
        open_for_rating(Declaration.objects.filter(business_id__in=business_ids), now=now)
        .exclude(pk__in=kept)
        .order_by("-cleared_at")
        .first()
    )
    rater = (
        User.objects.filter(business_memberships__business_id=declaration.business_id, role=Role.BUSINESS)
        .order_by("pk")
        .first()
        if declaration
        else None
    )
    if declaration is None or rater is None:
        return None
    with clock.at(_rating_moment(declaration.cleared_at, now)):
        rating = submit_rating(
            declaration,
            rater,
            channel=SubmissionChannel.WEB,
            branch_level=Level.DISSATISFIED,
            branch_reasons=[Reason.DELAY],
            comment=POOR_COMMENTS[Reason.DELAY][0],
        )
    return DissatisfactionCase.objects.get(rating=rating)


# Cases worked per transaction (see build_cases): each takes about six savepoints, PostgreSQL caches 64.
CASES_PER_TRANSACTION = 10


def _newest_message() -> int:
    return OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _mails_as_sent(after: int) -> int:
    """Record the e-mails queued since message `after` as sent (old complaints are not mailed now), before the
    transaction commits and the outbox sender looks; returns the newest message id, for the next call."""
    OutboxMessage.objects.filter(pk__gt=after, sent_at__isnull=True).update(sent_at=F("created_at"))
    return _newest_message()


def build_cases(department: Department, *, leader: User, business_account: User, now=None) -> dict[str, int]:
    """Add the fresh complaint of `leader`'s branch, work the demo cases into every state (see
    RECENT_CASE_STATES), then escalate the overdue ones; `now` is the present of the run (midnight).

    Only cases never touched (new, unassigned) are worked, so a rerun changes nothing and a case that
    someone worked in the demo is left alone (as is one an interrupted run left half-worked: the cases are
    worked CASES_PER_TRANSACTION at a time). The e-mails the steps queue are recorded as sent before each
    commit: a fresh demo must not mail hundreds of notices about last year's complaints. Returns cases
    worked by state.
    """
    now = now or clock.now()
    business_ids = set(BusinessMembership.objects.filter(user=business_account).values_list("business_id", flat=True))
    worked: dict[str, int] = {}
    last_message = _newest_message()
    with transaction.atomic():
        if business_ids and not DissatisfactionCase.objects.filter(business_id__in=business_ids).exists():
            _answerable_case_for(sorted(business_ids), now)
        _fresh_complaint(leader, business_account=business_account, business_ids=business_ids, until=now)
        last_message = _mails_as_sent(last_message)
    cases = list(
        DissatisfactionCase.objects.filter(branch__department=department).select_related(
            "branch", "rating__declaration", "rating__submitted_by"
        )
    )
    plan = plan_case_states(cases, business_ids=business_ids)
    ranks: dict[int, int] = {}
    people: dict[int, tuple[User, User]] = {}
    to_work: list[tuple[DissatisfactionCase, str, int]] = []
    for case in sorted(cases, key=lambda c: (c.opened_at, c.pk)):
        ranks[case.branch_id] = ranks.get(case.branch_id, 0) + 1
        state = plan[case.pk]
        if state == "new" or case.status != CaseStatus.NEW or case.assigned_at is not None:
            continue
        to_work.append((case, state, ranks[case.branch_id]))
    # A few cases per transaction: each step of a case is a service in its own atomic block, a savepoint
    # here, and PostgreSQL keeps 64 subtransactions per transaction in memory; past that every row this
    # transaction wrote is checked in pg_subtrans, and one transaction for every case made the phase crawl.
    for offset in range(0, len(to_work), CASES_PER_TRANSACTION):
        with transaction.atomic():
            for case, state, rank in to_work[offset : offset + CASES_PER_TRANSACTION]:
                if case.branch_id not in people:
                    people[case.branch_id] = _branch_people(case.branch, leader)
                _work_case(case, state, rank, people[case.branch_id], case.rating.submitted_by, now)
                worked[state] = worked.get(state, 0) + 1
            last_message = _mails_as_sent(last_message)
    with transaction.atomic():
        worked["escalated"] = jobs.escalate_overdue(now=now)
        _mails_as_sent(last_message)
    return worked
