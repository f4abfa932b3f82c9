"""Demo declarations: eighteen months of clearance at the branches of the demo department.

Each day's declarations come from a random.Random seeded with that day alone, so a given day always
yields the same declarations (numbers included) whatever month the command runs in. They enter through
`ingest_declarations`, the upsert the API uses, so a rerun finds them unchanged and never duplicates.
"""

import datetime
import functools
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import holidays

from directory.demo import SEED, clearance_team_weights, months_before
from directory.models import Business, Department, TeamMembership

from .choices import Channel, Stage
from .ingest import LOCAL_TZ
from .services import IngestResult, ingest_declarations

DECLARATION_COUNT = 30_000
MONTHS = 18
BATCH_SIZE = 1_000
# The newest declarations are still being processed when the month starts.
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
    median_minutes, spread, low, high = {
        Channel.GREEN: (25, 0.7, 3, 240),
        Channel.YELLOW: (180, 0.6, 30, 720),
        Channel.RED: (14 * 60, 0.5, 180, 52 * 60),
    }[channel]
    minutes = min(high, max(low, rng.lognormvariate(math.log(median_minutes), spread)))
    return datetime.timedelta(seconds=int(minutes * 60))


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
    # Numbers grow with registration time, as VNACCS numbers do: prefix, day, rank in the day.
    items.sort(key=lambda item: item["registered_at"])
    day_number = (day - NUMBER_EPOCH).days
    for rank, item in enumerate(items, start=1):
        item["number"] += f"{day_number:05d}{rank:05d}"
    return items


def plan_declarations(
    department: Department, businesses: list[Business], *, scale: float, anchor: datetime.datetime
) -> list[dict]:
    """The declarations of the MONTHS months before `anchor`, as ingest items, oldest first."""
    profiles = business_profiles(businesses)
    cumulative = list(itertools.accumulate(p.activity for p in profiles))
    roster = _Roster(department)
    per_unit_factor = DECLARATION_COUNT * scale / _reference_volume()
    end = anchor.date()
    items: list[dict] = []
    day = months_before(end, MONTHS)
    while day < end:
        mean = per_unit_factor * day_factor(day)
        items.extend(_day_declarations(day, mean, profiles, cumulative, roster.clearance_teams_on(day)))
        day += datetime.timedelta(days=1)

    uncleared = max(1, round(UNCLEARED_NEWEST * scale))
    for position, item in enumerate(reversed(items)):
        if position < uncleared or item["cleared_at"] >= anchor:
            item["cleared_at"] = None
        elif item["registered_at"] < anchor - datetime.timedelta(days=3):
            break
    return items


def build_declarations(
    department: Department,
    businesses: list[Business],
    *,
    actor,
    scale: float,
    anchor: datetime.datetime,
    progress: Callable[[int, int, IngestResult], None] | None = None,
) -> IngestResult:
    """Ingest the demo declarations in batches; each batch is its own transaction, so an interrupted
    run resumes where it stopped."""
    items = plan_declarations(department, businesses, scale=scale, anchor=anchor)
    total = IngestResult()
    for offset in range(0, len(items), BATCH_SIZE):
        result = ingest_declarations(items[offset : offset + BATCH_SIZE], actor=actor)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
        if progress is not None:
            progress(min(offset + BATCH_SIZE, len(items)), len(items), total)
    return total
