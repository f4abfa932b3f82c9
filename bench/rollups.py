#!/usr/bin/env python
"""Rollups at scale: full rebuild vs a plain GROUP BY, an incremental fold, the dashboard's measures (issue 5).

    .venv/bin/python bench/rollups.py --ratings 1000000 [--database-url postgres://.../cp_rollbench]

In one run it:
1. drops and recreates a dedicated PostgreSQL database (default cp_rollbench, or BENCH_DATABASE_URL),
   migrates it and builds a department of 7 branches, 35 teams, 250 officers and 800 businesses;
2. generates ratings deterministically (fixed seed) and loads them with COPY: N / 0.8 cleared
   declarations over 18 months (channel mix 70/22/8, 1-2 officers each), 80% of them rated with the
   branch, the team (90%) and each officer; then ANALYZE;
3. times a plain GROUP BY (branch x month x channel x level over ratings joined to declarations), one
   plain GROUP BY per grouping the rebuild makes (its like-for-like baseline: declarations and
   ratings by unit, officer links, officer ratings, and both by business for presence), the mere
   reading and joining of the rebuild's four inputs with no grouping (a floor no rebuild can beat),
   the same SELECTs the rebuild runs without writing them, and `rebuild_rollups()` itself (into
   empty tables, then again over full ones), and prints the ratios;
4. COPYs 10,000 new ratings (with their declarations, cleared in the last month of the data, as new
   ratings are: the rating window is 30 days) and times `fold_rollups()`, then checks the
   department's counts against the ratings table;
5. times the department dashboard's figures, `reports.measures.dashboard_figures` for the last 12
   months, in process: p50/p95 over 50 calls;
6. starts gunicorn (2 sync workers, DEBUG off) and times the pages as department staff get them over
   HTTP: the department, branch, team and officer dashboards for the last 12 months (p50/p95 over 50
   requests each; all but the department's include their recent comments: 6% of the ratings carry
   one).

`--reuse` keeps the database of an earlier run with the same --ratings (generating 10 million ratings
takes about half an hour), migrates it and times everything again; `--reuse --pages-only` times only
the pages.

It is a command, not a test. The machine is shared and noisy: compare ratios within one run.
"""

import argparse
import datetime
import http.client
import io
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_declarations import (  # noqa: E402
    free_port,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_rollbench"
SEED = 20261123
BRANCHES = 7
TEAMS_PER_BRANCH = 5
OFFICERS = 250
BUSINESSES = 800
RATED_SHARE = 0.8
MONTHS = 18
START = datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
CHUNK = 200_000
COMMENTED_SHARE = 0.06
PAGES_PERIOD = "2025-11..2026-10"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=50, help="dashboard calls to time (default 50)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--statistics", action="store_true", help="CREATE STATISTICS (ndistinct) before timing")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run (same --ratings)")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="with --reuse: migrate the kept database and time only the pages over HTTP",
    )
    return parser.parse_args()


def build_directory():
    from django.core.management import call_command

    from directory.choices import Role
    from directory.models import Branch, Business, Department, Officer, Team, TeamMembership, User
    from directory.taxcode import make_tax_codes

    call_command("migrate", verbosity=0, interactive=False)
    department = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh")
    teams = []
    for number in range(BRANCHES):
        branch = Branch.objects.create(department=department, code=f"B{number}", name=f"Chi cục {number}")
        teams += [
            Team.objects.create(branch=branch, code=f"B{number}-T{t}", name=f"Đội {t}") for t in range(TEAMS_PER_BRANCH)
        ]
    officers_by_team: dict[int, list[int]] = {team.pk: [] for team in teams}
    for number in range(OFFICERS):
        team = teams[number % len(teams)]
        officer = Officer.objects.create(code=f"CB{number:04d}", full_name=f"Công chức {number}", branch=team.branch)
        TeamMembership.objects.create(officer=officer, team=team, started_on=datetime.date(2020, 1, 1))
        officers_by_team[team.pk].append(officer.pk)
    Business.objects.bulk_create(
        Business(tax_code=code, name=f"Công ty {index}") for index, code in enumerate(make_tax_codes(57, BUSINESSES))
    )
    business_ids = list(Business.objects.values_list("pk", flat=True))
    submitter = User.objects.create_user("bench-business", role=Role.BUSINESS)
    staff = User.objects.create_user("bench-staff", role=Role.DEPARTMENT_STAFF, department=department)
    team_branch = {team.pk: team.branch_id for team in teams}
    return department, staff, submitter, team_branch, officers_by_team, business_ids


def copy_rows(cursor, table: str, columns: str, lines: list[str]) -> None:
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(lines)))


def generate(
    cursor, *, first_id: int, declarations: int, rng: random.Random, directory, created_at=None, last_month_only=False
) -> int:
    """COPY `declarations` cleared declarations (ids from first_id) with links, ratings and officer ratings.

    Ratings get the declaration's id (one rating per declaration), officer rows sequential ids. Returns
    the number of ratings written.
    """
    _department, _staff, submitter, team_branch, officers_by_team, business_ids = directory
    team_ids = list(team_branch)
    channels = ["green"] * 70 + ["yellow"] * 22 + ["red"] * 8
    span = MONTHS * 30 * 24 * 3600
    # New ratings come within 30 days of clearance: the incremental batch is cleared in the last month.
    start = START + datetime.timedelta(days=(MONTHS - 1) * 30) if last_month_only else START
    if last_month_only:
        span = 29 * 24 * 3600
    rated = 0
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM feedback_declarationofficer")
    link_id = cursor.fetchone()[0]
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM feedback_ratingofficer")
    rating_officer_id = cursor.fetchone()[0]
    for chunk_start in range(first_id, first_id + declarations, CHUNK):
        chunk_end = min(chunk_start + CHUNK, first_id + declarations)
        decl, links, ratings, officer_rows = [], [], [], []
        for pk in range(chunk_start, chunk_end):
            team = rng.choice(team_ids)
            branch = team_branch[team]
            channel = rng.choice(channels)
            business = rng.choice(business_ids)
            registered = start + datetime.timedelta(seconds=rng.randrange(span))
            cleared = registered + datetime.timedelta(minutes=rng.randint(5, 2000))
            made = created_at or registered
            decl.append(
                f"{pk}\t{pk:012d}\tA11\t{channel}\t{business}\t{branch}\t{team}\t{registered.isoformat()}\t"
                f"{cleared.isoformat()}\t{made.isoformat()}\t{made.isoformat()}\n"
            )
            handled = rng.sample(officers_by_team[team], rng.randint(1, 2))
            for officer in handled:
                link_id += 1
                links.append(f"{link_id}\t{pk}\t{officer}\treception\t{team}\n")
            if rng.random() < RATED_SHARE:
                rated += 1
                level = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]
                team_level = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0] if rng.random() < 0.9 else None
                officer_levels = [rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0] for _ in handled]
                unhappy = min([level, team_level or 5, *officer_levels]) <= 2
                comment = f"Góp ý về tờ khai {pk:012d}" if rng.random() < COMMENTED_SHARE else ""
                ratings.append(
                    f"{pk}\t{pk}\t{business}\t{submitter.pk}\tapi\t{branch}\t{team}\t{level}\t"
                    f"{team_level if team_level else chr(92) + 'N'}\t[]\t[]\t{comment}\t{'t' if unhappy else 'f'}\t"
                    f"{(created_at or cleared).isoformat()}\n"
                )
                for officer, officer_level in zip(handled, officer_levels, strict=True):
                    rating_officer_id += 1
                    officer_rows.append(f"{rating_officer_id}\t{pk}\t{officer}\t{team}\t{officer_level}\t[]\n")
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
            ratings,
        )
        copy_rows(cursor, "feedback_ratingofficer", "id, rating_id, officer_id, team_id, level, reasons", officer_rows)
    for table in ("feedback_declaration", "feedback_declarationofficer", "feedback_rating", "feedback_ratingofficer"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    return rated


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def plain_selects(cursor) -> tuple[float, float, list[tuple[str, float]]]:
    """(one plain GROUP BY, the rebuild's own SELECTs without writing, the plain GROUP BYs of the same
    groupings as the rebuild), in seconds, under the fold's session settings (work_mem, no JIT)."""
    from reports import rollups

    month, params = rollups._month("d.cleared_at")
    cursor.execute(f"SET work_mem = '{rollups.FOLD_WORK_MEM}'")
    cursor.execute("SET jit = off")
    ratings = "FROM feedback_rating r JOIN feedback_declaration d ON d.id = r.declaration_id"
    single = f"SELECT r.branch_id, {month}, d.channel, r.branch_level, COUNT(*) {ratings} GROUP BY 1, 2, 3, 4"
    seconds_single, _rows = timed(lambda: (cursor.execute(single, params), cursor.fetchall()))
    # Like for like: one plain GROUP BY per grouping the rebuild makes (no UNION, no DISTINCT, no writing).
    like_for_like = [
        (
            "declarations by branch, team, month, channel",
            f"SELECT d.branch_id, d.team_id, {month}, d.channel, COUNT(*) FROM feedback_declaration d "
            "WHERE d.cleared_at IS NOT NULL GROUP BY 1, 2, 3, 4",
        ),
        (
            "ratings by branch, team, month, channel, both levels",
            f"SELECT r.branch_id, r.team_id, {month}, d.channel, r.branch_level, r.team_level, COUNT(*) {ratings} "
            "GROUP BY 1, 2, 3, 4, 5, 6",
        ),
        (
            "officer links by officer, month, channel",
            f"SELECT l.officer_id, {month}, d.channel, COUNT(*) FROM feedback_declarationofficer l "
            "JOIN feedback_declaration d ON d.id = l.declaration_id WHERE d.cleared_at IS NOT NULL GROUP BY 1, 2, 3",
        ),
        (
            "officer ratings by officer, month, channel, level",
            f"SELECT ro.officer_id, {month}, d.channel, ro.level, COUNT(*) FROM feedback_ratingofficer ro "
            "JOIN feedback_rating r ON r.id = ro.rating_id JOIN feedback_declaration d ON d.id = r.declaration_id "
            "GROUP BY 1, 2, 3, 4",
        ),
        (
            "declarations by branch, team, business, month",
            f"SELECT d.branch_id, d.team_id, d.business_id, {month}, COUNT(*) FROM feedback_declaration d "
            "WHERE d.cleared_at IS NOT NULL GROUP BY 1, 2, 3, 4",
        ),
        (
            "ratings by branch, team, business, month",
            f"SELECT r.branch_id, r.team_id, r.business_id, {month}, COUNT(*) {ratings} GROUP BY 1, 2, 3, 4",
        ),
    ]
    parts = []
    for name, sql in like_for_like:
        seconds, _rows = timed(lambda: (cursor.execute(sql, params), cursor.fetchall()))  # noqa: B023
        parts.append((name, seconds))
    cursor.execute("SELECT MAX(id) FROM feedback_rating")
    rating_hi = cursor.fetchone()[0]
    cursor.execute("SELECT MAX(id) FROM feedback_declaration")
    declaration_hi = cursor.fetchone()[0]
    total = 0.0
    for sql, statement_params in rollups._fold_statements(0, rating_hi, 0, declaration_hi)[:2]:
        head, _insert, rest = sql.partition(" INSERT INTO ")
        select = rest[rest.index(") SELECT ") + 2 : rest.index(" ON CONFLICT")]
        seconds, _rows = timed(lambda: (cursor.execute(f"{head} {select}", statement_params), cursor.fetchall()))  # noqa: B023
        total += seconds
    cursor.execute("RESET work_mem")
    cursor.execute("RESET jit")
    return seconds_single, total, parts


def input_floor(cursor) -> list[tuple[str, float]]:
    """What any rebuild must at least do, in seconds: read each of its four inputs joined to what gives
    it a month and a channel, and compute the month, without grouping or writing anything (planned by
    PostgreSQL as it likes, parallel or not)."""
    from reports import rollups

    month, params = rollups._month("d.cleared_at")
    inputs = [
        ("cleared declarations", "feedback_declaration d WHERE d.cleared_at IS NOT NULL"),
        ("ratings x declarations", "feedback_rating r JOIN feedback_declaration d ON d.id = r.declaration_id"),
        (
            "officer links x declarations",
            "feedback_declarationofficer l JOIN feedback_declaration d ON d.id = l.declaration_id",
        ),
        (
            "officer ratings x ratings x declarations",
            "feedback_ratingofficer ro JOIN feedback_rating r ON r.id = ro.rating_id "
            "JOIN feedback_declaration d ON d.id = r.declaration_id",
        ),
    ]
    cursor.execute("SET jit = off")
    floor = []
    for name, source in inputs:
        sql = f"SELECT COUNT({month}), MAX(d.channel) FROM {source}"
        seconds, _rows = timed(lambda: (cursor.execute(sql, params), cursor.fetchall()))  # noqa: B023
        floor.append((name, seconds))
    cursor.execute("RESET jit")
    return floor


def existing_directory():
    """What build_directory returned, read back from a database an earlier run generated (--reuse)."""
    from directory.models import Business, Department, Team, TeamMembership, User

    department = Department.objects.get(code="QN")
    staff = User.objects.get(username="bench-staff")
    submitter = User.objects.get(username="bench-business")
    team_branch = dict(Team.objects.order_by("pk").values_list("pk", "branch_id"))
    officers_by_team: dict[int, list[int]] = {team: [] for team in team_branch}
    for team, officer in TeamMembership.objects.order_by("officer_id").values_list("team_id", "officer_id"):
        officers_by_team[team].append(officer)
    business_ids = list(Business.objects.order_by("pk").values_list("pk", flat=True))
    return department, staff, submitter, team_branch, officers_by_team, business_ids


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def time_pages(url: str, secret_key: str, staff, calls: int) -> list[tuple[str, float, float]]:
    """p50/p95 of the dashboard pages as `staff` gets them from gunicorn (DEBUG off) over loopback HTTP."""
    from django.test import Client

    # With DEBUG off the pages name the hashed static files, which only collectstatic (DEBUG off) lists.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=os.environ | {"DEBUG": "false", "DATABASE_URL": url, "ALLOWED_HOSTS": "127.0.0.1"},
        check=True,
    )
    client = Client()
    client.force_login(staff)  # the session row is in the benchmark database, signed with `secret_key`
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    pages = [
        ("department dashboard", f"/dashboards/?period={PAGES_PERIOD}"),
        ("branch dashboard (with comments)", f"/dashboards/branch/B0/?period={PAGES_PERIOD}"),
        ("team dashboard (with comments)", f"/dashboards/branch/B0/team/B0-T0/?period={PAGES_PERIOD}"),
        ("officer dashboard (with comments)", f"/dashboards/officer/CB0000/?period={PAGES_PERIOD}"),
    ]
    port = free_port()
    server = start_gunicorn(url, port, secret_key)
    results = []
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for name, path in pages:
            times = []
            for attempt in range(calls + 3):  # three to warm both workers up
                started = time.perf_counter()
                connection.request("GET", path, headers={"Host": "127.0.0.1", "Cookie": cookie})
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or b"chart-trend" not in body:
                    raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
                if attempt >= 3:
                    times.append(time.perf_counter() - started)
            results.append((name, *percentiles(times)))
        connection.close()
    finally:
        stop_gunicorn(server)
    return results


def main() -> int:
    args = parse_args()
    url = args.database_url
    # gunicorn must accept the session this process signs for the page timings.
    secret_key = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if not args.reuse:
        print(f"database {urlsplit(url).path.lstrip('/')}: recreating and migrating", flush=True)
        recreate_database(url)
    setup_django(url)

    from django.db import connection, transaction
    from django.utils import timezone

    from reports.measures import Period, dashboard_figures
    from reports.models import BusinessPresence, RatingRollup, UnitKind
    from reports.rollups import fold_rollups, rebuild_rollups

    rng = random.Random(SEED)
    if args.reuse:
        directory = existing_directory()
        print(f"reusing database {urlsplit(url).path.lstrip('/')}")
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)  # the code may have gained indexes since
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if args.pages_only:
            connection.close()
            return print_pages(url, secret_key, directory[1], args.calls)
    else:
        directory = build_directory()
        declarations = round(args.ratings / RATED_SHARE)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            rated = generate(cursor, first_id=1, declarations=declarations, rng=rng, directory=directory)
        with connection.cursor() as cursor:
            if args.statistics:
                cursor.execute(
                    "CREATE STATISTICS IF NOT EXISTS bench_rating_grain (ndistinct) "
                    "ON branch_id, team_id, branch_level, team_level FROM feedback_rating"
                )
            cursor.execute("ANALYZE")
        print(
            f"generated {declarations:,} declarations, {rated:,} ratings with COPY "
            f"in {time.perf_counter() - started:.0f} s"
        )
    department, staff = directory[0], directory[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM feedback_declaration")
        declaration_count, last_declaration = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM feedback_rating")
        print(f"{declaration_count:,} declarations, {cursor.fetchone()[0]:,} ratings")

    with connection.cursor() as cursor:
        single, selects, parts = plain_selects(cursor)
        floor = input_floor(cursor)
    rebuild_empty, result = timed(rebuild_rollups, lag_seconds=0)
    rebuild_full, _result = timed(rebuild_rollups, lag_seconds=0)
    like_for_like = sum(seconds for _name, seconds in parts)
    print(f"plain GROUP BY branch x month x channel x level: {single:7.2f} s")
    for name, seconds in parts:
        print(f"  plain GROUP BY, {name + ':':52} {seconds:6.2f} s")
    print(f"the rebuild's groupings as plain GROUP BYs:     {like_for_like:7.2f} s")
    for name, seconds in floor:
        print(f"  reading and joining {name + ', no grouping:':53} {seconds:6.2f} s")
    floor_total = sum(seconds for _name, seconds in floor)
    print(
        f"the rebuild's inputs, read and joined only:     {floor_total:7.2f} s  = {floor_total / single:.2f}x "
        "the plain GROUP BY (no rebuild can take less)"
    )
    print(f"the rebuild's SELECTs, not written:            {selects:7.2f} s")
    print(
        f"rebuild_rollups into empty tables:             {rebuild_empty:7.2f} s  ratio {rebuild_empty / single:.2f}x "
        f"the plain GROUP BY, {rebuild_empty / like_for_like:.2f}x its groupings as plain GROUP BYs, "
        f"{rebuild_empty / selects:.2f}x its own SELECTs"
    )
    print(
        f"rebuild_rollups over full tables (DELETE too): {rebuild_full:7.2f} s  ratio {rebuild_full / single:.2f}x, "
        f"{rebuild_full / like_for_like:.2f}x like for like"
    )
    print(f"rows: {RatingRollup.objects.count():,} rollup, {BusinessPresence.objects.count():,} presence")

    # 10,000 new ratings (12,500 declarations, 80% rated) committed a few minutes ago
    with transaction.atomic(), connection.cursor() as cursor:
        new = generate(
            cursor,
            first_id=last_declaration + 1,
            declarations=round(10_000 / RATED_SHARE),
            rng=rng,
            directory=directory,
            created_at=timezone.now() - datetime.timedelta(minutes=5),
        )
    seconds, result = timed(fold_rollups)
    print(
        f"incremental fold of {new:,} new ratings ({result.declarations_to - result.declarations_from:,} "
        f"declarations): {seconds * 1000:.0f} ms"
    )
    seconds, again = timed(fold_rollups)
    print(f"fold again, nothing new: {seconds * 1000:.0f} ms (folded anything: {again.folded_anything})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT branch_level, COUNT(*) FROM feedback_rating GROUP BY 1 ORDER BY 1")
        truth = [count for _level, count in cursor.fetchall()]
    totals = RatingRollup.objects.filter(unit_kind=UnitKind.DEPARTMENT, unit_id=department.pk)
    folded = [sum(totals.values_list(f"level_{level}", flat=True)) for level in range(1, 6)]
    if folded != truth:
        print(f"WRONG: department level counts {folded} != ratings {truth}", file=sys.stderr)
        return 1

    period = Period.parse(PAGES_PERIOD)
    dashboard_figures(staff, UnitKind.DEPARTMENT, department.pk, period)  # warm
    times = []
    for _ in range(args.calls):
        seconds, _figures = timed(dashboard_figures, staff, UnitKind.DEPARTMENT, department.pk, period)
        times.append(seconds)
    p50, p95 = percentiles(times)
    print(
        f"department dashboard figures (12 months, in process, {args.calls} calls): p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )
    connection.close()  # gunicorn's workers get their own connections
    return print_pages(url, secret_key, staff, args.calls)


def print_pages(url: str, secret_key: str, staff, calls: int) -> int:
    for name, p50, p95 in time_pages(url, secret_key, staff, calls):
        label = f"{name}, HTTP (12 months, {calls} requests):"
        print(f"{label:62} p50 {p50:4.0f} ms, p95 {p95:4.0f} ms")
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
