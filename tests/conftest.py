"""The shared cast of the test suite (STYLE.md §8).

Department QN with branches A (Móng Cái) and B (Hòn Gai); team A1 and A2 in A, B1 in B; officers
oa1 (A1), oa2 (A2), ob1 (B1). Businesses X and Y. Users: `business` acts for X, `rival` for Y,
`broker` for X and Y, `officer` is oa1, `team_leader` leads A1, `leader` leads A, `other_leader`
leads B, `staff` works at the department, `integration` is the clearance system, `outsider` is a
business user acting for nobody, `admin` administers. Declarations: dx (X at A, by oa1 and oa2),
dy (Y at B, by ob1), dx_pending (X at A, not yet cleared).
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone
from kombu import pools as kombu_pools

from customs_portal.celery import app
from directory.choices import Role
from directory.models import Branch, Business, BusinessMembership, Department, Officer, Team, TeamMembership, User
from directory.taxcode import make_tax_codes
from feedback.models import Declaration, DeclarationOfficer

PASSWORD = "correct-horse-battery"


def make_user(username: str, role: str, **fields) -> User:
    user = User(username=username, role=role, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_declaration(number, business, branch, team, officers=(), *, channel="green", cleared=True, days_ago=1):
    registered_at = timezone.now() - datetime.timedelta(days=days_ago, hours=3)
    declaration = Declaration.objects.create(
        number=number,
        type_code="A11",
        channel=channel,
        business=business,
        branch=branch,
        team=team,
        registered_at=registered_at,
        cleared_at=registered_at + datetime.timedelta(hours=2) if cleared else None,
    )
    for officer, stage in officers:
        DeclarationOfficer.objects.create(declaration=declaration, officer=officer, stage=stage, team=team)
    return declaration


@pytest.fixture
def cast(db):
    qn = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh", province_tax_prefix="57")
    branch_a = Branch.objects.create(department=qn, code="MC", name="Chi cục Hải quan Móng Cái")
    branch_b = Branch.objects.create(department=qn, code="HG", name="Chi cục Hải quan Hòn Gai")
    team_a1 = Team.objects.create(branch=branch_a, code="MC-TT", name="Đội Thủ tục")
    team_a2 = Team.objects.create(branch=branch_a, code="MC-KS", name="Đội Kiểm soát")
    team_b1 = Team.objects.create(branch=branch_b, code="HG-TT", name="Đội Thủ tục Hòn Gai")
    start = datetime.date(2020, 1, 1)
    officers = {}
    for code, name, team in [
        ("oa1", "Nguyễn Văn An", team_a1),
        ("oa2", "Trần Thị Bình", team_a2),
        ("ob1", "Lê Văn Cường", team_b1),
    ]:
        officer = Officer.objects.create(code=code.upper(), full_name=name, branch=team.branch)
        TeamMembership.objects.create(officer=officer, team=team, started_on=start)
        officers[code] = officer
    tax_x, tax_y = make_tax_codes(57, 2, start=100)
    business_x = Business.objects.create(tax_code=tax_x, name="Công ty TNHH Xuất nhập khẩu X", is_in_province=True)
    business_y = Business.objects.create(tax_code=tax_y, name="Công ty Cổ phần Y", is_in_province=True)

    users = SimpleNamespace(
        business=make_user("business", Role.BUSINESS),
        rival=make_user("rival", Role.BUSINESS),
        broker=make_user("broker", Role.BUSINESS),
        outsider=make_user("outsider", Role.BUSINESS),
        officer=make_user("officer", Role.OFFICER, officer=officers["oa1"]),
        team_leader=make_user("team_leader", Role.TEAM_LEADER, team=team_a1),
        leader=make_user("leader", Role.BRANCH_LEADER, branch=branch_a),
        other_leader=make_user("other_leader", Role.BRANCH_LEADER, branch=branch_b),
        staff=make_user("staff", Role.DEPARTMENT_STAFF, department=qn, is_staff=True),
        integration=make_user("integration", Role.INTEGRATION, department=qn),
        admin=make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
    )
    BusinessMembership.objects.create(user=users.business, business=business_x, is_admin=True)
    BusinessMembership.objects.create(user=users.rival, business=business_y, is_admin=True)
    BusinessMembership.objects.create(user=users.broker, business=business_x)
    BusinessMembership.objects.create(user=users.broker, business=business_y)

    dx = make_declaration(
        "101234567890", business_x, branch_a, team_a1, [(officers["oa1"], "reception"), (officers["oa2"], "release")]
    )
    dy = make_declaration("101234567891", business_y, branch_b, team_b1, [(officers["ob1"], "document_check")])
    dx_pending = make_declaration(
        "301234567892", business_x, branch_a, team_a2, [(officers["oa2"], "reception")], cleared=False
    )
    return SimpleNamespace(
        department=qn,
        branch_a=branch_a,
        branch_b=branch_b,
        team_a1=team_a1,
        team_a2=team_a2,
        team_b1=team_b1,
        officers=SimpleNamespace(**officers),
        business_x=business_x,
        business_y=business_y,
        users=users,
        dx=dx,
        dy=dy,
        dx_pending=dx_pending,
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def token_for():
    """Issue a real API token for a user and return the header value."""
    from directory.services import issue_api_token

    def issue(user) -> str:
        _token, key = issue_api_token(user, "test")
        return f"Token {key}"

    return issue


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """API throttles and page limits count in the cache: every test starts with none spent."""
    from django.core.cache import cache

    from directory import authentication

    cache.clear()
    authentication._checked.clear()  # the API tokens this process checked lately (rows of earlier tests)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 with Django's iteration count costs ~0.3 s per user; the cast has eleven.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_by_default(settings):
    """Tests read English messages; tests of the Vietnamese default ask for `vietnamese_default`.

    Users' saved language is blank by default, so it follows LANGUAGE_CODE here too.
    """
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def vietnamese_default(settings):
    """The portal as deployed: Vietnamese unless the user chose otherwise."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        yield


@pytest.fixture
def real_broker(settings):
    """Celery not eager, on a broker URL the test switches; the app's connection pool follows each switch."""
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.result_backend = None

    def use(url: str) -> None:
        # Drop the pooled connections to the previous broker (what Celery itself does after a fork).
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu_pools.reset()  # kombu's own registry of producer pools, keyed by connection, would keep closed ones
        app.conf.broker_url = url

    yield use
    use(saved[1])
    app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend = saved
