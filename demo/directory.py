"""Demo directory: a department like Quảng Ninh's, its branches, teams, officers, businesses and demo users.

Everything is drawn from random.Random instances with fixed string seeds, so two runs build the same
rows, and every row is looked up by its natural key (code, tax code, username) first, so a second run
creates nothing and changes nothing already there. `reports.management.commands.seed_demo` drives it.
"""

import datetime
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from core import clock
from directory.choices import Role
from directory.models import Branch, Business, BusinessMembership, Department, Officer, Team, TeamMembership, User
from directory.services import move_officer_to_team
from directory.taxcode import make_tax_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SEED = "customs-portal-demo"
DEMO_PASSWORD = "demo"

DEPARTMENT_CODE = "QN"
DEPARTMENT_NAME = "Cục Hải quan tỉnh Quảng Ninh"
PROVINCE_PREFIX = "57"
PROVINCE_NAME = "Quảng Ninh"

# Team kinds: (code suffix, name, officers weight, handles declarations).
TEAM_KINDS = {
    "TT": ("Đội Thủ tục hàng hóa xuất nhập khẩu", 12, True),
    "NV": ("Đội Nghiệp vụ", 8, True),
    "GS": ("Đội Giám sát hải quan", 7, True),
    "KS": ("Đội Kiểm soát hải quan", 6, False),
    "TH": ("Đội Tổng hợp", 4, False),
}
# Working groups at a border gate or port inside a branch: (suffix, name).
WORKING_GROUPS = {
    "KL": "Tổ công tác cửa khẩu Ka Long",
    "BL": "Tổ công tác cầu Bắc Luân II",
    "CO": "Tổ công tác cảng Cửa Ông",
    "HL": "Tổ công tác cảng tàu khách Hạ Long",
}
WORKING_GROUP_WEIGHT = 6

# (code, name, staffing factor, team suffixes). Móng Cái, the international border gate, is the largest.
BRANCHES = [
    ("MC", "Chi cục Hải quan cửa khẩu quốc tế Móng Cái", 1.6, ["TT", "NV", "GS", "KS", "TH", "KL", "BL"]),
    ("HG", "Chi cục Hải quan cửa khẩu cảng Hòn Gai", 1.1, ["TT", "GS", "KS", "TH", "HL"]),
    ("CL", "Chi cục Hải quan cửa khẩu cảng Cái Lân", 1.2, ["TT", "NV", "GS", "KS", "TH"]),
    ("CP", "Chi cục Hải quan cửa khẩu cảng Cẩm Phả", 1.0, ["TT", "GS", "KS", "TH", "CO"]),
    ("BPS", "Chi cục Hải quan cửa khẩu Bắc Phong Sinh", 0.8, ["TT", "GS", "KS", "TH"]),
    ("HM", "Chi cục Hải quan cửa khẩu Hoành Mô", 0.8, ["TT", "GS", "KS", "TH"]),
    ("VG", "Chi cục Hải quan cửa khẩu cảng Vạn Gia", 0.9, ["TT", "NV", "GS", "KS", "TH"]),
]
OFFICER_COUNT = 250
OFFICERS_MOVED = 10
# Memberships of the demo officers start on a fixed day, long before any demo declaration.
MEMBERSHIPS_START = datetime.date(2019, 1, 2)

BUSINESS_COUNT = 800
IN_PROVINCE_SHARE = 0.55
# Tax-code province prefixes of out-of-province businesses, with a weight each.
OTHER_PROVINCES = [
    (1, "Hà Nội", 30),
    (2, "Hải Phòng", 22),
    (3, "TP. Hồ Chí Minh", 14),
    (49, "Lạng Sơn", 9),
    (8, "Hải Dương", 7),
    (23, "Bắc Ninh", 7),
    (4, "Đà Nẵng", 4),
    (9, "Hưng Yên", 7),
]

FAMILY_NAMES = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Vũ", 4),
    ("Phan", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
]
MIDDLE_NAMES = {
    "m": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Mạnh", "Tiến", "Ngọc"],
    "f": ["Thị", "Thu", "Thanh", "Ngọc", "Minh", "Hồng", "Thùy", "Phương", "Kim"],
}
# Plain words, split: a list literal of 50 names would run over 50 lines.
GIVEN_NAMES = {
    "m": "An Bình Cường Dũng Hùng Hải Long Nam Phong Quân Sơn Thắng Trung Tuấn Việt Hiếu Khánh Đạt Hòa Huy "  # noqa: SIM905
    "Tùng Kiên Lâm Thái Vinh Duy Hoàng Tâm".split(),
    "f": "Anh Hà Hạnh Hương Lan Linh Mai Ngọc Nhung Phương Thảo Trang Vân Yến Hoa Hằng "  # noqa: SIM905
    "Huyền Thủy Loan Nga Dung Liên".split(),
}

COMPANY_FORMS = [("Công ty TNHH", 45), ("Công ty Cổ phần", 33), ("Công ty TNHH MTV", 14), ("Doanh nghiệp tư nhân", 8)]
COMPANY_TRADES = [
    "Thương mại",
    "Xuất nhập khẩu",
    "Thương mại và Xuất nhập khẩu",
    "Logistics",
    "Vận tải và Giao nhận",
    "Dịch vụ Hàng hải",
    "Thủy sản",
    "Nông sản",
    "Chế biến Gỗ",
    "Than và Khoáng sản",
    "Sản xuất và Thương mại",
    "Đầu tư và Phát triển",
    "Điện tử",
    "Dệt may",
    "Vật liệu Xây dựng",
]
COMPANY_BRANDS = (  # noqa: SIM905
    "Hoàng Long|Minh Phát|Phú Thịnh|An Khang|Hải Hà|Đông Bắc|Việt Trung|Kim Thành|Thái Bình Dương|"
    "Quang Minh|Hưng Thịnh|Tân Cảng|Thành Đạt|Bảo An|Đại Việt|Phương Đông|Sao Mai|Hồng Hà|Trường Giang|"
    "Nam Phong|Hải Long|Thịnh Vượng|Vạn Xuân|Bắc Hải|Lộc Phát|Hòa Bình|Tiến Thành|Ngọc Lan|Thuận Phát|"
    "Gia Bảo|Vĩnh Hưng|Hạ Long|Kim Sơn|Đức Anh|Quốc Tế Á Châu|Mặt Trời Mới|Đông Dương|Trung Kiên|"
    "Việt Hàn|Tân Phú"
).split("|")
IN_PROVINCE_PLACES = ["Quảng Ninh", "Móng Cái", "Hạ Long", "Cẩm Phả", "Đông Triều"]
# Demo businesses' e-mail addresses, on a domain reserved for examples (RFC 2606): survey invitations and
# reminders can be demonstrated, and even an SMTP server configured by mistake delivers nothing to anyone.
BUSINESS_EMAIL_DOMAIN = "doanhnghiep.example"


def business_email(tax_code: str) -> str:
    return f"{tax_code}@{BUSINESS_EMAIL_DOMAIN}"


@dataclass
class DemoDirectory:
    """What the directory builders made, for the builders of later apps."""

    department: Department
    branches: dict[str, Branch]
    businesses: list[Business]  # ordered by tax code
    # label (lazy text; a model's verbose name, typed optional by the stubs) -> rows created by this run
    created: "dict[StrOrPromise | None, int]" = field(default_factory=dict)


def month_anchor(now: datetime.datetime | None = None) -> datetime.datetime:
    """Midnight of the first day of the current month in Vietnam: the demo's history starts a fixed
    number of months before it, and the month's moves and surveys are dated from it."""
    return day_anchor(now).replace(day=1)


def day_anchor(now: datetime.datetime | None = None) -> datetime.datetime:
    """Midnight today in Vietnam, the demo's present: declarations run to the day before, clearances
    and ratings stop at it, so every run on the same day builds the same rows."""
    local = (now or clock.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def team_specs(suffixes: list[str]) -> list[tuple[str, str, int, bool]]:
    """(suffix, name, officers weight, handles declarations) for a branch's team suffixes."""
    specs = []
    for suffix in suffixes:
        if suffix in TEAM_KINDS:
            specs.append((suffix, *TEAM_KINDS[suffix]))
        else:
            specs.append((suffix, WORKING_GROUPS[suffix], WORKING_GROUP_WEIGHT, True))
    return specs


def clearance_team_weights() -> dict[str, int]:
    """Team code -> weight of the teams that handle declarations (workload share inside their branch)."""
    weights = {}
    for branch_code, _name, _factor, suffixes in BRANCHES:
        for suffix, _team_name, weight, handles in team_specs(suffixes):
            if handles:
                weights[f"{branch_code}-{suffix}"] = weight
    return weights


@transaction.atomic
def build_directory(*, scale: float, anchor: datetime.datetime) -> DemoDirectory:
    created: dict = {}
    department, is_new = Department.objects.get_or_create(
        code=DEPARTMENT_CODE, defaults={"name": DEPARTMENT_NAME, "province_tax_prefix": PROVINCE_PREFIX}
    )
    created[Department._meta.verbose_name_plural] = int(is_new)
    branches, teams = _build_units(department, created)
    _build_officers(teams, anchor.date(), created)
    businesses = _build_businesses(scale, created)
    return DemoDirectory(department=department, branches=branches, businesses=businesses, created=created)


def _build_units(department: Department, created: dict) -> tuple[dict[str, Branch], dict[str, Team]]:
    existing_branches = Branch.objects.in_bulk([code for code, *_rest in BRANCHES], field_name="code")
    new_branches = [
        Branch(department=department, code=code, name=name)
        for code, name, _factor, _teams in BRANCHES
        if code not in existing_branches
    ]
    Branch.objects.bulk_create(new_branches)
    branches = Branch.objects.in_bulk([code for code, *_rest in BRANCHES], field_name="code")

    existing_teams = set(Team.objects.filter(branch__in=branches.values()).values_list("branch__code", "code"))
    new_teams = [
        Team(branch=branches[branch_code], code=f"{branch_code}-{suffix}", name=name)
        for branch_code, _name, _factor, suffixes in BRANCHES
        for suffix, name, _weight, _handles in team_specs(suffixes)
        if (branch_code, f"{branch_code}-{suffix}") not in existing_teams
    ]
    Team.objects.bulk_create(new_teams)
    teams = {team.code: team for team in Team.objects.filter(branch__in=branches.values()).select_related("branch")}
    created[Branch._meta.verbose_name_plural] = len(new_branches)
    created[Team._meta.verbose_name_plural] = len(new_teams)
    return branches, teams


def _officer_plan() -> list[tuple[str, str, str]]:
    """(officer code, full name, team code) of every demo officer, headcount by team weight."""
    slots = [
        (f"{branch_code}-{suffix}", weight * factor)
        for branch_code, _name, factor, suffixes in BRANCHES
        for suffix, _team_name, weight, _handles in team_specs(suffixes)
    ]
    total = sum(weight for _code, weight in slots)
    exact = [OFFICER_COUNT * weight / total for _code, weight in slots]
    counts = [int(x) for x in exact]
    # Largest remainder, ties broken by position, so the headcounts add up to OFFICER_COUNT exactly.
    by_remainder = sorted(range(len(slots)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: OFFICER_COUNT - sum(counts)]:
        counts[i] += 1

    rng = random.Random(f"{SEED}:officers")
    family_names, family_weights = zip(*FAMILY_NAMES, strict=True)
    plan: list[tuple[str, str, str]] = []  # (officer code, name, team code)
    for (team_code, _weight), count in zip(slots, counts, strict=True):
        for _position in range(count):
            sex = rng.choice("mf")
            name = f"{rng.choices(family_names, family_weights)[0]} {rng.choice(MIDDLE_NAMES[sex])} "
            name += rng.choice(GIVEN_NAMES[sex])
            plan.append((f"CC{len(plan) + 1:05d}", name, team_code))
    return plan


def _build_officers(teams: dict[str, Team], today: datetime.date, created: dict) -> None:
    plan = _officer_plan()
    existing = Officer.objects.in_bulk([code for code, _name, _team in plan], field_name="code")
    new_officers = [
        Officer(code=code, full_name=name, branch=teams[team_code].branch)
        for code, name, team_code in plan
        if code not in existing
    ]
    Officer.objects.bulk_create(new_officers)
    officers = Officer.objects.in_bulk([code for code, _name, _team in plan], field_name="code")
    new_codes = {officer.code for officer in new_officers}
    TeamMembership.objects.bulk_create(
        TeamMembership(officer=officers[code], team=teams[team_code], started_on=MEMBERSHIPS_START)
        for code, _name, team_code in plan
        if code in new_codes
    )
    created[Officer._meta.verbose_name_plural] = len(new_officers)

    # A few officers changed team about six months ago, so the demo shows membership history. Only
    # officers of well-staffed teams move, and only in the run that created them (same transaction).
    headcount: dict[str, int] = {}
    for _code, _name, team_code in plan:
        headcount[team_code] = headcount.get(team_code, 0) + 1
    rng = random.Random(f"{SEED}:moves")
    movable = [(code, team_code) for code, _name, team_code in plan if headcount[team_code] >= 6]
    moves = rng.sample(movable, OFFICERS_MOVED)
    team_codes = sorted(teams)
    moved_on = months_before(today, 6)
    moved = 0
    for code, team_code in moves:
        if code not in new_codes:
            continue
        same_branch = [t for t in team_codes if t != team_code and teams[t].branch_id == teams[team_code].branch_id]
        target = rng.choice(same_branch if rng.random() < 0.7 else [t for t in team_codes if t != team_code])
        move_officer_to_team(officers[code], teams[target], moved_on)
        moved += 1
    created[_("team changes")] = moved


def _company_name(rng: random.Random, places: list[str], taken: set[str]) -> str:
    forms, weights = zip(*COMPANY_FORMS, strict=True)
    for attempt in range(50):
        name = f"{rng.choices(forms, weights)[0]} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_BRANDS)}"
        if rng.random() < 0.3 or attempt >= 10:
            name += f" {rng.choice(places)}"
        if name not in taken:
            break
    else:  # only at large --scale, when the combinations run out
        name = f"{name} {len(taken) + 1}"
    taken.add(name)
    return name


def business_plan(scale: float) -> list[tuple[str, str, str, bool]]:
    """(tax code, name, province, in-province) of every demo business at `scale`."""
    count = max(10, round(BUSINESS_COUNT * scale))
    in_province = round(count * IN_PROVINCE_SHARE)
    rng = random.Random(f"{SEED}:businesses")
    taken: set[str] = set()
    sequences: dict[int, int] = {}
    max_gap = max(1, min(9_000, 8_000_000 // count))
    plan = []
    provinces, weights = zip(*(((p, n), w) for p, n, w in OTHER_PROVINCES), strict=True)
    for index in range(count):
        if index < in_province:
            province, province_name = int(PROVINCE_PREFIX), PROVINCE_NAME
            places = IN_PROVINCE_PLACES
        else:
            province, province_name = rng.choices(provinces, weights)[0]
            places = [province_name]
        # Random gaps between sequence numbers, so codes look issued over years rather than in a row;
        # narrower at large --scale so the 7-digit sequence never wraps round (codes stay distinct).
        sequence = sequences.get(province, 100_000) + rng.randint(1, max_gap)
        tax_code = make_tax_code(province, sequence)
        sequences[province] = int(tax_code[2:9])
        plan.append((tax_code, _company_name(rng, places, taken), province_name, index < in_province))
    return plan


def _build_businesses(scale: float, created: dict) -> list[Business]:
    plan = business_plan(scale)
    tax_codes = [tax_code for tax_code, *_rest in plan]
    existing = Business.objects.in_bulk(tax_codes, field_name="tax_code")
    new_businesses = [
        Business(
            tax_code=tax_code,
            name=name,
            province=province,
            is_in_province=in_province,
            email=business_email(tax_code),
        )
        for tax_code, name, province, in_province in plan
        if tax_code not in existing
    ]
    Business.objects.bulk_create(new_businesses)
    fill_business_emails(tax_codes)
    created[Business._meta.verbose_name_plural] = len(new_businesses)
    return list(Business.objects.filter(tax_code__in=tax_codes).order_by("tax_code"))


def fill_business_emails(tax_codes: list[str]) -> None:
    """Give the demo address to those of `tax_codes` that have none (rows of a demo built before they had one);
    an address someone entered is kept."""
    Business.objects.filter(tax_code__in=tax_codes, email="").update(
        email=Concat("tax_code", Value(f"@{BUSINESS_EMAIL_DOMAIN}"))
    )


@transaction.atomic
def build_demo_users(directory: DemoDirectory, *, business_tax_codes: list[str]) -> dict[str, User]:
    """The demo accounts, password `demo`, refused when DEBUG is off (directory.auth).

    `business_tax_codes`: the businesses the `business` account acts for; it administers the first.
    Existing accounts are left as they are (their passwords may have been changed on purpose).
    """
    department = directory.department
    main_branch = directory.branches[BRANCHES[0][0]]
    officer = (
        Officer.objects.filter(memberships__team__code=f"{main_branch.code}-TT", memberships__ended_on__isnull=True)
        .order_by("code")
        .first()
    )
    officer_team = Team.objects.get(code=f"{main_branch.code}-TT")
    specs: dict[str, dict[str, Any]] = {
        "admin": {"role": Role.ADMINISTRATOR, "is_superuser": True, "is_staff": True},
        "staff": {"role": Role.DEPARTMENT_STAFF, "department": department, "is_staff": True},
        "leader": {"role": Role.BRANCH_LEADER, "branch": main_branch},
        "officer": {"role": Role.OFFICER, "officer": officer},
        # Leads the `officer`'s team: records the findings of Móng Cái's complaints (demo.feedback._branch_people).
        "teamleader": {"role": Role.TEAM_LEADER, "team": officer_team},
        "business": {"role": Role.BUSINESS},
        "integration": {"role": Role.INTEGRATION, "department": department},
    }
    existing = User.objects.in_bulk(list(specs), field_name="username")
    # One hash for all: the password is public anyway, and each PBKDF2 hash costs about a second.
    missing = [username for username in specs if username not in existing]
    password = make_password(DEMO_PASSWORD) if missing else ""
    new_users = [
        User(
            username=username,
            password=password,
            is_demo=True,
            email=f"{username}@demo.haiquan.example",
            **specs[username],
        )
        for username in missing
    ]
    User.objects.bulk_create(new_users)
    found = User.objects.in_bulk(list(specs), field_name="username")
    users = {username: found[username] for username in specs}
    directory.created[User._meta.verbose_name_plural] = len(new_users)

    acting_for = Business.objects.in_bulk(business_tax_codes, field_name="tax_code")
    has = set(BusinessMembership.objects.filter(user=users["business"]).values_list("business__tax_code", flat=True))
    BusinessMembership.objects.bulk_create(
        BusinessMembership(user=users["business"], business=acting_for[tax_code], is_admin=position == 0)
        for position, tax_code in enumerate(business_tax_codes)
        if tax_code not in has
    )
    return users
