#!/usr/bin/env python
"""What users open, timed over HTTP at national scale: every page of every role (issue 14).

    .venv/bin/python bench/pages.py [--ratings 1000000] [--calls 30] [--reuse] [--database-url ...]

Without --ratings it runs two scales, 1M and 10M ratings, in databases cp_pages_1m and cp_pages_10m
(or --database-url with the scale appended). For each scale it:
1. drops, recreates and migrates the database, then builds the demo department's directory
   (demo.directory: 7 branches, 35 teams, 250 officers with team histories since 2019) with 16,000
   businesses, the demo users of every role, 35 team leaders (verifiers), and a broker: a business
   user acting for 100 businesses that together send ~9% of the declarations;
2. COPYs N / 0.8 cleared declarations over 36 months up to yesterday (channel mix 70/22/8, 1-2
   officers of the team each, business volume skewed like a real province), 80% of them rated; 4% of
   the ratings dissatisfied, each with its case, in every state (old cases closed or answered, a few
   left open and escalated, recent ones new, assigned, verifying, concluded, some disputed);
3. publishes two CDCI years: the demo's survey of last year, computed and published by cdci.services,
   and the year before, the same snapshot inserted directly as an earlier campaign's publication;
4. rebuilds the rollups, runs ANALYZE;
5. starts gunicorn (2 sync workers, DEBUG off, the portal's settings plus a middleware that reports
   each response's query count in a header) and requests every page in interleaved rounds: each round
   requests each page once, as its role; three rounds warm up, --calls rounds are timed (p50/p95);
6. prints a table (scale, role, page, p50, p95, queries), then `pages within aim: k/n`. The aim: p95
   under 150 ms; with both scales, also no page slower at 10M than 1.2x its 1M p95.

`--reuse` keeps a database an earlier run generated and only times the pages (after migrating it and
ANALYZE): use it to measure a code change before and after. It is a command, not a test; the machines
are shared and noisy, so compare within one run, and run it more than once.
"""

import argparse
import datetime
import http.client
import io
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.pages_settings"

from bench.ingest_declarations import (  # noqa: E402
    free_port,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_pages"
SCALES = (1_000_000, 10_000_000)
SEED = 20261206
BUSINESS_SCALE = 20  # demo.directory: 800 businesses x 20 = 16,000
BROKER_RANKS = range(100, 200)  # the broker's businesses, by volume rank
RATED_SHARE = 0.8
DISSATISFIED_SHARE = 0.04
MONTHS = 36
CHUNK = 100_000
AIM_MS = 150.0
GROWTH_AIM = 1.2
QUERY_HEADER = "X-Bench-Queries"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, help="one scale only (default: 1M then 10M)")
    parser.add_argument("--calls", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--reuse", action="store_true", help="time the pages of a database generated earlier")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    return parser.parse_args()


def scale_url(base: str, ratings: int) -> str:
    parts = urlsplit(base)
    suffix = f"{ratings // 1_000_000}m" if ratings % 1_000_000 == 0 else str(ratings)
    return urlunsplit(parts._replace(path=f"{parts.path}_{suffix}"))


# --- generation --------------------------------------------------------------------------------------


def build_directory(anchor):
    """The demo department at 16,000 businesses, its users, 35 team leaders and the broker."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from demo import directory as directory_demo
    from directory.choices import Role
    from directory.models import BusinessMembership, Team, TeamMembership, User

    call_command("migrate", verbosity=0, interactive=False)
    directory = directory_demo.build_directory(scale=BUSINESS_SCALE, anchor=anchor)
    businesses = sorted(directory.businesses, key=lambda b: b.tax_code)
    rng = random.Random(SEED)
    ranked = businesses[:]
    rng.shuffle(ranked)  # volume rank -> business
    users = directory_demo.build_demo_users(directory, business_tax_codes=[b.tax_code for b in ranked[:2]])
    password = make_password(secrets.token_urlsafe(12))
    teams = list(Team.objects.filter(branch__department=directory.department).order_by("branch__code", "code"))
    leaders = User.objects.bulk_create(
        User(username=f"bench-lead-{team.pk}", password=password, role=Role.TEAM_LEADER, team=team, branch=team.branch)
        for team in teams
    )
    broker = User.objects.create(username="bench-broker", password=password, role=Role.BUSINESS)
    BusinessMembership.objects.bulk_create(
        BusinessMembership(user=broker, business=ranked[rank], is_admin=False) for rank in BROKER_RANKS
    )
    members: dict[int, list[int]] = {}
    for team_id, officer_id in TeamMembership.objects.filter(
        team__branch__department=directory.department, ended_on__isnull=True
    ).values_list("team_id", "officer_id"):
        members.setdefault(team_id, []).append(officer_id)
    main_team = users["officer"].officer.memberships.get(ended_on__isnull=True).team
    team_leader = next(leader for leader in leaders if leader.team_id == main_team.pk)
    # The verifier of each branch's cases: the bench's team leader in its own branch, a team leader elsewhere.
    verifiers = {leader.branch_id: leader.pk for leader in reversed(leaders)}
    verifiers[team_leader.branch_id] = team_leader.pk
    return {
        "department": directory.department,
        "users": {**users, "team_leader": team_leader, "broker": broker},
        "leaders_by_branch": verifiers,
        "teams": [(team.pk, team.branch_id) for team in teams if team.pk in members],
        "members": members,
        "ranked": [business.pk for business in ranked],
        "rater": users["business"].pk,
    }


def copy_rows(cursor, table: str, columns: str, lines: list[str]) -> None:
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(lines)))


def _items(rng: random.Random, level_by_kind: list[tuple[str, int]]) -> str:
    items = [
        {
            "kind": kind,
            "name": f"{kind} {rng.randrange(1000)}",
            "code": f"C{rng.randrange(10000):04d}",
            "level": level,
            "reasons": ["slow", "unclear_guidance"],
        }
        for kind, level in level_by_kind
    ]
    return json.dumps(items, ensure_ascii=False).replace("\\", "\\\\")


def case_line(rng, case_id, rating_id, branch, team, business, opened, now, verifier, items) -> str:
    """A case in the state its age makes likely; every database constraint holds."""
    day = datetime.timedelta(days=1)
    due = opened + datetime.timedelta(days=rng.randint(7, 12))
    age = (now - opened).days
    null = "\\N"
    status, assigned, findings_at, conclusion, concluded = "new", null, null, "", null
    answered, first_answered, days, disputed, reason, escalated = null, null, null, null, "", null
    closed, closed_how, answer, findings = null, "", "", ""
    roll = rng.random()
    if age > 45 and roll < 0.985 or age > 15 and roll < 0.6:
        status = "closed" if age > 30 and roll < 0.9 else "answered"
    elif age > 2 or roll < 0.3:
        status = rng.choice(["assigned", "verifying", "concluded", "new"])
    if status != "new":
        assigned = verifier
    if status in ("verifying", "concluded", "answered", "closed"):
        findings_at = (opened + 2 * day).isoformat()
        findings = "Đã kiểm tra hồ sơ và làm việc với công chức liên quan. " * 3
    if status in ("concluded", "answered", "closed"):
        conclusion = rng.choice(["substantiated", "partly", "not_substantiated"])
        concluded = (opened + 3 * day).isoformat()
    if status in ("answered", "closed"):
        answer_time = opened + datetime.timedelta(days=rng.randint(3, 14))
        answered = first_answered = answer_time.isoformat()
        days = str(rng.randint(2, 10))
        answer = "Cục Hải quan xin trả lời doanh nghiệp như sau: đã chấn chỉnh và rút kinh nghiệm. " * 4
        if rng.random() < 0.05:
            disputed, reason = (answer_time + day).isoformat(), "Doanh nghiệp chưa đồng ý với kết quả."
    if status == "closed":
        closed = (opened + datetime.timedelta(days=rng.randint(15, 30))).isoformat()
        closed_how = "accepted" if rng.random() < 0.7 else "auto"
    if (status not in ("answered", "closed") and due < now) or disputed != null:
        escalated = (due + day).isoformat()
    return (
        f"{case_id}\t{rating_id}\t{branch}\t{team}\t{business}\t{status}\t{items}\t{opened.isoformat()}\t"
        f"{due.isoformat()}\t{assigned}\t{null if assigned == null else (opened + day).isoformat()}\t{findings}\t"
        f"{findings_at}\t{conclusion}\t\t\t{concluded}\t{answer}\t{answered}\t{first_answered}\t{days}\t{disputed}\t"
        f"{reason}\t{escalated}\t{null}\t{closed}\t{closed_how}\t{now.isoformat()}\n"
    )


CASE_COLUMNS = (
    "id, rating_id, branch_id, team_id, business_id, status, items, opened_at, due_at, assigned_to_id, assigned_at, "
    "findings, findings_at, conclusion, corrective_action, internal_note, concluded_at, answer, answered_at, "
    "first_answered_at, answer_working_days, disputed_at, dispute_reason, escalated_at, reminded_at, closed_at, "
    "closed_how, updated_at"
)


def generate(cursor, directory, ratings: int, now: datetime.datetime) -> dict[str, int]:
    """COPY declarations, officer links, ratings, officer ratings and cases; returns the counts."""
    rng = random.Random(SEED)
    declarations = round(ratings / RATED_SHARE)
    teams = directory["teams"]
    members = directory["members"]
    ranked = directory["ranked"]
    business_weights = [1 / (rank + 20) for rank in range(len(ranked))]
    channels = ("green", "yellow", "red")
    start = now - datetime.timedelta(days=MONTHS * 30.4)
    span = int((now - start).total_seconds()) - 3 * 24 * 3600
    rater = directory["rater"]
    verifiers = directory["leaders_by_branch"]
    counts = dict.fromkeys(("declarations", "links", "ratings", "officer ratings", "cases"), 0)
    link_id = rating_officer_id = case_id = 0
    happy = ((3, 4, 5), (10, 35, 50))
    for chunk_start in range(1, declarations + 1, CHUNK):
        size = min(CHUNK, declarations + 1 - chunk_start)
        chunk_businesses = rng.choices(ranked, business_weights, k=size)
        chunk_teams = rng.choices(teams, k=size)
        chunk_channels = rng.choices(channels, (70, 22, 8), k=size)
        # Clearance times in order: ids follow time, as in production.
        offsets = sorted(rng.randrange(span) for _ in range(size))
        decl, links, rating_lines, officer_lines, cases = [], [], [], [], []
        for index in range(size):
            pk = chunk_start + index
            team, branch = chunk_teams[index]
            business = chunk_businesses[index]
            registered = start + datetime.timedelta(seconds=offsets[index])
            cleared = registered + datetime.timedelta(minutes=rng.randint(5, 2000))
            decl.append(
                f"{pk}\t{pk:012d}\tA11\t{chunk_channels[index]}\t{business}\t{branch}\t{team}\t"
                f"{registered.isoformat()}\t{cleared.isoformat()}\t{registered.isoformat()}\t{cleared.isoformat()}\n"
            )
            team_members = members[team]
            handled = rng.sample(team_members, min(len(team_members), 1 if rng.random() < 0.6 else 2))
            for officer in handled:
                link_id += 1
                links.append(f"{link_id}\t{pk}\t{officer}\treception\t{team}\n")
            if rng.random() >= RATED_SHARE:
                continue
            rated_at = cleared + datetime.timedelta(hours=rng.randint(1, 200))
            if rated_at >= now:
                continue
            levels = rng.choices(*happy, k=2 + len(handled))
            unhappy = rng.random() < DISSATISFIED_SHARE
            if unhappy:  # one thing rated 1 or 2: the branch, the team or an officer
                levels[rng.randrange(len(levels))] = rng.choice((1, 2))
            branch_level, team_level, *officer_levels = levels
            comment = f"Góp ý về tờ khai {pk:012d}" if rng.random() < 0.06 else ""
            rating_lines.append(
                f"{pk}\t{pk}\t{business}\t{rater}\tapi\t{branch}\t{team}\t{branch_level}\t{team_level}\t[]\t[]\t"
                f"{comment}\t{'t' if unhappy else 'f'}\t{rated_at.isoformat()}\n"
            )
            for officer, level in zip(handled, officer_levels, strict=True):
                rating_officer_id += 1
                officer_lines.append(f"{rating_officer_id}\t{pk}\t{officer}\t{team}\t{level}\t[]\n")
            if unhappy:
                case_id += 1
                kinds = [("branch", branch_level), ("team", team_level)]
                kinds += [("officer", level) for level in officer_levels]
                items = _items(rng, [(kind, level) for kind, level in kinds if level <= 2])
                cases.append(
                    case_line(rng, case_id, pk, branch, team, business, rated_at, now, verifiers[branch], items)
                )
        copy_rows(
            cursor,
            "feedback_declaration",
            "id, number, type_code, channel, business_id, branch_id, team_id, registered_at, cleared_at, "
            "created_at, updated_at",
            decl,
        )
        copy_rows(cursor, "feedback_declarationofficer", "id, declaration_id, officer_id, stage, team_id", links)
        copy_rows(
            cursor,
            "feedback_rating",
            "id, declaration_id, business_id, submitted_by_id, submitted_via, branch_id, team_id, branch_level, "
            "team_level, branch_reasons, team_reasons, comment, is_dissatisfied, created_at",
            rating_lines,
        )
        copy_rows(cursor, "feedback_ratingofficer", "id, rating_id, officer_id, team_id, level, reasons", officer_lines)
        copy_rows(cursor, "feedback_dissatisfactioncase", CASE_COLUMNS, cases)
        for name, rows in zip(counts, (decl, links, rating_lines, officer_lines, cases), strict=True):
            counts[name] += len(rows)
        print(f"  {chunk_start + size - 1:,}/{declarations:,} declarations", flush=True)
    for table in (
        "feedback_declaration",
        "feedback_declarationofficer",
        "feedback_rating",
        "feedback_ratingofficer",
        "feedback_dissatisfactioncase",
    ):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    return counts


def publish_cdci(department, staff, anchor) -> list[int]:
    """Last year's demo survey computed and published; the year before as a copy of that publication."""
    from cdci.models import CdciPublication, CdciRun
    from demo import cdci as cdci_demo
    from demo import surveys as surveys_demo
    from surveys.models import Campaign

    surveys = surveys_demo.build_surveys(department, staff=staff, anchor=anchor, scale=1)
    publication = cdci_demo.publish_demo_cdci(surveys.last_year)
    if publication is None:
        raise SystemExit("the demo CDCI could not be computed")
    last = surveys.last_year
    earlier = Campaign.objects.create(
        department=department,
        year=last.year - 1,
        title=last.title.replace(str(last.year), str(last.year - 1)),
        open_on=last.open_on.replace(year=last.open_on.year - 1),
        close_on=last.close_on.replace(year=last.close_on.year - 1),
        status=last.status,
        min_completion=last.min_completion,
    )
    earlier.units.set(last.units.all())
    run = publication.run
    earlier_run = CdciRun.objects.create(
        campaign=earlier,
        status=run.status,
        progress=run.progress,
        settings=run.settings,
        input_checksum=run.input_checksum,
        result=run.result,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )
    snapshot = dict(publication.snapshot)
    if isinstance(snapshot.get("campaign"), dict):
        snapshot["campaign"] = {**snapshot["campaign"], "id": earlier.pk, "year": earlier.year}
    CdciPublication.objects.create(
        campaign=earlier,
        run=earlier_run,
        version=1,
        note=publication.note.replace(str(last.year), str(earlier.year)),
        snapshot=snapshot,
        questionnaire_version=publication.questionnaire_version,
        checksum=publication.checksum,
        published_at=publication.published_at - datetime.timedelta(days=365),
    )
    return [last.year, earlier.year, last.pk]


def build(url: str, ratings: int) -> None:
    from django.db import connection, transaction

    from core import clock
    from demo import directory as directory_demo
    from reports.rollups import rebuild_rollups

    now = clock.now()
    anchor = directory_demo.month_anchor(now)
    until = directory_demo.day_anchor(now)
    started = time.perf_counter()
    directory = build_directory(anchor)
    print(f"directory: {time.perf_counter() - started:.0f} s", flush=True)
    step = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # The generated rows are consistent by construction: skip the foreign-key triggers, whose deferred
        # checks would take longer at COMMIT than the COPY itself (this session only).
        cursor.execute("SET LOCAL session_replication_role = replica")
        counts = generate(cursor, directory, ratings, until)
    print(
        f"COPY in {time.perf_counter() - step:.0f} s: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()),
        flush=True,
    )
    step = time.perf_counter()
    publish_cdci(directory["department"], directory["users"]["staff"], anchor)
    print(f"CDCI published (two years): {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    rebuild_rollups(lag_seconds=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"rollups and ANALYZE: {time.perf_counter() - step:.0f} s", flush=True)
    print(f"generated {ratings:,} ratings in {time.perf_counter() - started:.0f} s", flush=True)


# --- the pages -----------------------------------------------------------------------------------------


def pages() -> list[tuple[str, str, str]]:
    """(role, page, path) of every page each role opens, read from the database."""
    from cdci.models import CdciPublication
    from directory.models import User
    from feedback.models import Declaration, DissatisfactionCase
    from surveys.models import Campaign

    # The demo's accounts are refused with DEBUG off: here they are the benchmark's own, without a password.
    User.objects.filter(is_demo=True).update(is_demo=False, password="!")
    users = {user.username: user for user in User.objects.filter(username__in=["staff", "leader", "officer"])}
    officer = users["officer"].officer
    leader_branch = users["leader"].branch
    team_leader = User.objects.filter(username__startswith="bench-lead-", role="team_leader").get(
        team__memberships__officer=officer, team__memberships__ended_on__isnull=True
    )
    team = team_leader.team
    years = sorted(CdciPublication.objects.values_list("campaign__year", flat=True).distinct(), reverse=True)
    campaign = Campaign.objects.get(year=years[0])
    broker_declaration = Declaration.objects.filter(business__memberships__user__username="bench-broker").latest(
        "cleared_at"
    )
    case = DissatisfactionCase.objects.filter(branch=leader_branch, status="verifying").order_by("-opened_at").first()
    business_declaration = Declaration.objects.filter(business__memberships__user__username="business").latest(
        "cleared_at"
    )
    branch_dashboard = f"/dashboards/branch/{leader_branch.code}/"
    team_dashboard = f"/dashboards/branch/{team.branch.code}/team/{team.code}/"
    officer_dashboard = f"/dashboards/officer/{officer.code}/"
    export = f"/dashboards/ratings/?level=officer&code={officer.code}&format=csv&period={{month}}"
    first_of_month = datetime.datetime.now(tz=datetime.UTC).date().replace(day=1)
    last_month = (first_of_month - datetime.timedelta(days=1)).strftime("%Y-%m")
    return [
        ("anonymous", "CDCI list", "/cdci/"),
        ("anonymous", f"CDCI {years[0]}", f"/cdci/{years[0]}/"),
        ("anonymous", f"CDCI {years[-1]}", f"/cdci/{years[-1]}/"),
        ("anonymous", "CDCI methodology", "/cdci/methodology/"),
        ("staff", "home", "/"),
        ("staff", "department dashboard", "/dashboards/"),
        ("staff", "branch dashboard", branch_dashboard),
        ("staff", "team dashboard", team_dashboard),
        ("staff", "officer dashboard", officer_dashboard),
        ("staff", "declarations", "/declarations/"),
        ("staff", "cases (inbox)", "/cases/"),
        ("staff", "case", f"/cases/{case.pk}/"),
        ("staff", "surveys", "/surveys/"),
        ("staff", "survey progress", f"/surveys/{campaign.pk}/progress/"),
        ("staff", "CDCI draft", f"/cdci/campaigns/{campaign.pk}/draft/"),
        ("staff", "officer ratings export (CSV, a month)", export.format(month=last_month)),
        ("leader", "home", "/"),
        ("leader", "branch dashboard", branch_dashboard),
        ("leader", "declarations", "/declarations/"),
        ("leader", "cases (inbox)", "/cases/"),
        ("team leader", "home", "/"),
        ("team leader", "team dashboard", team_dashboard),
        ("team leader", "declarations", "/declarations/"),
        ("team leader", "cases", "/cases/"),
        ("officer", "home", "/"),
        ("officer", "officer dashboard", officer_dashboard),
        ("officer", "declarations", "/declarations/"),
        ("officer", "cases", "/cases/"),
        ("business", "home", "/"),
        ("business", "declarations", "/declarations/"),
        ("business", "declarations to rate", "/declarations/?rated=false"),
        ("business", "declaration", f"/declarations/{business_declaration.number}/"),
        ("business", "complaints", "/cases/"),
        ("broker", "home", "/"),
        ("broker", "declarations", "/declarations/"),
        ("broker", "declarations to rate", "/declarations/?rated=false"),
        ("broker", "declaration", f"/declarations/{broker_declaration.number}/"),
        ("broker", "complaints", "/cases/"),
    ], team_leader


def session_cookies(team_leader) -> dict[str, str]:
    from django.test import Client

    from directory.models import User

    usernames = {
        "staff": "staff",
        "leader": "leader",
        "officer": "officer",
        "business": "business",
        "broker": "bench-broker",
        "team leader": team_leader.username,
    }
    cookies = {"anonymous": ""}
    for role, username in usernames.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookies[role] = f"sessionid={client.cookies['sessionid'].value}"
    return cookies


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def time_pages(url: str, secret_key: str, calls: int) -> list[dict]:
    from django.db import connection

    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=os.environ | {"DEBUG": "false", "DATABASE_URL": url, "ALLOWED_HOSTS": "127.0.0.1"},
        check=True,
    )
    page_list, team_leader = pages()
    cookies = session_cookies(team_leader)
    connection.close()
    port = free_port()
    server = start_gunicorn(url, port, secret_key)
    times: dict[int, list[float]] = {index: [] for index in range(len(page_list))}
    queries: dict[int, int] = {}
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for round_number in range(calls + 3):  # three rounds warm both workers up
            for index, (role, _name, path) in enumerate(page_list):
                headers = {"Host": "127.0.0.1", "Accept-Language": "vi"}
                if cookies[role]:
                    headers["Cookie"] = cookies[role]
                started = time.perf_counter()
                client.request("GET", path, headers=headers)
                response = client.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    raise SystemExit(f"{role} {path} answered {response.status}: {body[:300]!r}")
                if round_number >= 3:
                    times[index].append(elapsed)
                    queries[index] = int(response.getheader(QUERY_HEADER, "-1"))
        client.close()
    finally:
        stop_gunicorn(server)
    return [
        dict(role=role, page=name, path=path, queries=queries[index], **dict(zip(("p50", "p95"), pcts, strict=True)))
        for index, (role, name, path) in enumerate(page_list)
        for pcts in [percentiles(times[index])]
    ]


def main() -> int:
    args = parse_args()
    secret_key = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    scales = [args.ratings] if args.ratings else list(SCALES)
    results: dict[int, list[dict]] = {}
    django_ready = False
    for ratings in scales:
        url = scale_url(args.database_url, ratings)
        name = urlsplit(url).path.lstrip("/")
        if not args.reuse:
            print(f"database {name}: recreating and generating {ratings:,} ratings", flush=True)
            recreate_database(url)
        if not django_ready:
            setup_django(url)
            django_ready = True
        from django.conf import settings
        from django.db import connection, connections

        connections.close_all()
        settings.DATABASES["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name
        if args.reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            build(url, ratings)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM feedback_rating")
            rating_count = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM feedback_dissatisfactioncase")
            case_count = cursor.fetchone()[0]
        print(f"{name}: {rating_count:,} ratings, {case_count:,} cases; timing pages", flush=True)
        results[ratings] = time_pages(url, secret_key, args.calls)
    print_table(results, args.calls)
    return 0


def print_table(results: dict[int, list[dict]], calls: int) -> None:
    print(f"\nper page: p50 / p95 over {calls} interleaved requests (gunicorn 2 workers, DEBUG off), SQL queries")
    print(f"{'ratings':>8}  {'role':12} {'page':40} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7}  aim")
    within = total = 0
    smallest = min(results)
    for ratings, rows in results.items():
        base = {(row["role"], row["page"]): row for row in results[smallest]}
        for row in rows:
            ok = row["p95"] < AIM_MS
            note = "" if ok else f"p95 >= {AIM_MS:.0f}"
            if ratings != smallest:
                reference = base.get((row["role"], row["page"]))
                if reference and row["p95"] > GROWTH_AIM * reference["p95"]:
                    ok = False
                    note += f" {row['p95'] / reference['p95']:.1f}x {smallest // 1_000_000}M"
            within += ok
            total += 1
            print(
                f"{ratings / 1e6:>7.0f}M  {row['role']:12} {row['page'][:40]:40} {row['p50']:7.0f} {row['p95']:7.0f} "
                f"{row['queries']:7}  {'ok' if ok else note.strip()}"
            )
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    print(f"pages within aim: {within}/{total}")


if __name__ == "__main__":
    sys.exit(main())
