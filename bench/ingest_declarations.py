#!/usr/bin/env python
"""Declarations per second through the real API, beside a raw COPY of the same rows (issue 2, item 10).

    .venv/bin/python bench/ingest_declarations.py [--count 100000] [--batch 1000] [--clients 2]

In one run it:
1. drops and recreates a dedicated PostgreSQL database (default cp_bench; --database-url or
   BENCH_DATABASE_URL to change it), migrates it, and builds a department with branches, teams,
   officers, businesses and an integration user whose API token comes from issue_api_token;
2. generates N declarations deterministically (fixed seed): valid numbers and tax codes, mostly known
   businesses and some new ones, one to three officers each;
3. starts gunicorn (2 sync workers, DEBUG off, JSON only) on a free loopback port and POSTs the
   declarations to /api/v1/declarations/ in batches from concurrent client threads, then checks that
   exactly N declarations and their officer links are in the database, and that a sample matches;
4. exports those rows, truncates the two tables and loads the very same rows with COPY ... FROM STDIN;
5. prints both rates and the ratio API/COPY.

`--profile` skips the two passes and prints a cProfile of one batch ingested in process (rolled back).

It is a command, not a test: it prints figures and exits non-zero when a pass fails or rows are missing.
The machine is shared and noisy, so compare the ratio within one run and run it more than once.
"""

import argparse
import contextlib
import cProfile
import datetime
import http.client
import io
import json
import os
import pstats
import queue
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_bench"
API_PATH = "/api/v1/declarations/"
INTEGRATION_USERNAME = "bench-integration"
SEED = 20261101
GUNICORN_WORKERS = 2  # fixed by the issue: the figure is for the smallest real deployment
LOCAL_OFFSET = datetime.timezone(datetime.timedelta(hours=7))

BRANCHES = [
    ("MC", "Chi cục Hải quan cửa khẩu Móng Cái"),
    ("HG", "Chi cục Hải quan Hòn Gai"),
    ("CL", "Chi cục Hải quan cảng Cái Lân"),
    ("CP", "Chi cục Hải quan Cẩm Phả"),
    ("BPS", "Chi cục Hải quan Bắc Phong Sinh"),
    ("HM", "Chi cục Hải quan Hoành Mô"),
    ("VG", "Chi cục Hải quan Vạn Gia"),
]
TEAMS_PER_BRANCH = 5
OFFICERS = 250
KNOWN_BUSINESSES = 800
NEW_BUSINESS_SHARE = 0.05  # the rest of the declarations come from businesses the portal knows
TYPE_CODES = ["A11", "A12", "A31", "E31", "B11", "B13", "E52", "G51"]
CHANNELS = [("green", 0.70), ("yellow", 0.22), ("red", 0.08)]
STAGES = ["reception", "document_check", "physical_inspection", "release"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="declarations to ingest (default 100000)")
    parser.add_argument("--batch", type=int, default=1000, help="declarations per request (default 1000)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client threads (default 2)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the database to DROP and recreate (default %(default)s)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the two passes, cProfile one batch of ingest_declarations in process (rolled back)",
    )
    args = parser.parse_args()
    if args.count < 1 or not 1 <= args.batch <= 1000 or args.clients < 1:
        parser.error("--count must be positive, --batch 1..1000, --clients positive")
    return args


# --- the database -------------------------------------------------------------------------------
def recreate_database(url: str) -> None:
    """DROP and CREATE the benchmark database, connected to the server's `postgres` database."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to drop the database {name!r}: give a dedicated one")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(maintenance)
    connection.autocommit = True
    with connection.cursor() as cursor:
        # FORCE: a previous run killed half-way may have left a gunicorn connection behind.
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Directory:
    """What the generator needs to know about the units built in the benchmark database."""

    teams_by_branch: dict[str, list[str]]
    officers_by_branch: dict[str, list[str]]
    known_tax_codes: list[str]
    new_tax_codes: list[str]
    token_key: str


def build_directory(count: int) -> Directory:
    """Department, branches, teams, officers with memberships, known businesses, and an integration token."""
    from django.core.management import call_command
    from django.db import transaction

    from directory.choices import Role
    from directory.models import Branch, Business, Department, Officer, Team, TeamMembership, User
    from directory.services import issue_api_token
    from directory.taxcode import make_tax_codes

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(SEED)
    with transaction.atomic():
        department = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh", province_tax_prefix="57")
        teams_by_branch: dict[str, list[str]] = {}
        officers_by_branch: dict[str, list[str]] = {}
        team_rows = []
        for code, name in BRANCHES:
            branch = Branch.objects.create(department=department, code=code, name=name)
            for number in range(1, TEAMS_PER_BRANCH + 1):
                team_rows.append(Team.objects.create(branch=branch, code=f"{code}-D{number}", name=f"Đội {number}"))
            teams_by_branch[code] = [team.code for team in team_rows[-TEAMS_PER_BRANCH:]]
            officers_by_branch[code] = []
        started_on = datetime.date(2020, 1, 1)
        for number in range(1, OFFICERS + 1):
            team = team_rows[(number - 1) % len(team_rows)]
            officer = Officer.objects.create(
                code=f"CB{number:04d}", full_name=f"Công chức {number}", branch=team.branch
            )
            TeamMembership.objects.create(officer=officer, team=team, started_on=started_on)
            officers_by_branch[team.branch.code].append(officer.code)

        # 55% of the known businesses are in-province (57, Quảng Ninh), the rest from Hà Nội (01).
        in_province = round(KNOWN_BUSINESSES * 0.55)
        known = make_tax_codes(57, in_province, start=1000)
        known += make_tax_codes(1, KNOWN_BUSINESSES - in_province, start=1000)
        Business.objects.bulk_create(
            Business(tax_code=tax_code, name=f"Công ty TNHH {index}", is_in_province=tax_code.startswith("57"))
            for index, tax_code in enumerate(known)
        )
        integration = User.objects.create_user(INTEGRATION_USERNAME, role=Role.INTEGRATION, department=department)
        _token, key = issue_api_token(integration, "benchmark")

    new_pool = max(20, round(count * NEW_BUSINESS_SHARE / 3))  # each new business sends about three
    new = make_tax_codes(57, new_pool // 2, start=500_000) + make_tax_codes(2, new_pool - new_pool // 2, start=500_000)
    rng.shuffle(new)
    return Directory(teams_by_branch, officers_by_branch, known, new, key)


# --- the declarations ---------------------------------------------------------------------------
def generate_declarations(count: int, directory: Directory) -> list[dict]:
    """`count` API bodies, the same for the same count: the fixed seed makes runs comparable."""
    rng = random.Random(SEED + count)
    branch_codes = list(directory.teams_by_branch)
    channel_names = [name for name, _share in CHANNELS]
    channel_weights = [share for _name, share in CHANNELS]
    start = datetime.datetime(2025, 5, 1, tzinfo=LOCAL_OFFSET)
    span_seconds = 18 * 30 * 24 * 3600
    bodies = []
    for index in range(count):
        exporting = rng.random() < 0.4
        number = f"{30 if exporting else 10}{index:010d}"
        branch = rng.choice(branch_codes)
        channel = rng.choices(channel_names, channel_weights)[0]
        if rng.random() < NEW_BUSINESS_SHARE:
            tax_code = rng.choice(directory.new_tax_codes)
            business_name = f"Công ty Cổ phần Mới {tax_code}"
        else:
            tax_code = rng.choice(directory.known_tax_codes)
            business_name = f"Công ty TNHH {tax_code}"
        registered_at = start + datetime.timedelta(seconds=rng.randrange(span_seconds))
        minutes = {"green": rng.randint(5, 90), "yellow": rng.randint(60, 600), "red": rng.randint(240, 2880)}[channel]
        cleared_at = None if rng.random() < 0.03 else registered_at + datetime.timedelta(minutes=minutes)
        handled_by = rng.sample(directory.officers_by_branch[branch], rng.randint(1, 3))
        stages = sorted(rng.sample(range(len(STAGES)), len(handled_by)))
        bodies.append(
            {
                "number": number,
                "type_code": rng.choice(TYPE_CODES[4:] if exporting else TYPE_CODES[:4]),
                "channel": channel,
                "business_tax_code": tax_code,
                "business_name": business_name,
                "branch_code": branch,
                "team_code": rng.choice(directory.teams_by_branch[branch]),
                "officers": [
                    {"code": code, "stage": STAGES[stage]} for code, stage in zip(handled_by, stages, strict=True)
                ],
                "registered_at": registered_at.isoformat(),
                "cleared_at": cleared_at.isoformat() if cleared_at else None,
            }
        )
    return bodies


# --- gunicorn -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, secret_key: str | None = None) -> subprocess.Popen:
    """gunicorn as deployed (DEBUG off), on loopback only; returns once /healthz answers.

    `secret_key`: the caller's, when it signs sessions for the server to accept (page benchmarks)."""
    env = os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": secret_key or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy on loopback; the redirect would answer 301
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic for a JSON API
    }
    env.pop("CELERY_BROKER_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "customs_portal.wsgi", f"--workers={GUNICORN_WORKERS}", f"--bind=127.0.0.1:{port}"]
        + ["--timeout=300", "--log-level=warning"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                connection.close()
                return process
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM (graceful), then SIGKILL after 15 s: the benchmark never leaves a server behind."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- the API pass -------------------------------------------------------------------------------
@dataclass
class ApiPass:
    seconds: float = 0.0
    created: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def post_batches(port: int, key: str, bodies: list[bytes], clients: int) -> ApiPass:
    """POST every body from `clients` threads, each on its own connection; stops at the first failure."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    outcome = ApiPass()
    lock = threading.Lock()
    headers = {
        "Authorization": f"Token {key}",
        "Content-Type": "application/json",
        "Accept": "application/json",  # never the browsable API's HTML
        "Host": "127.0.0.1",
    }

    def client() -> None:
        # gunicorn's sync workers close after each answer; http.client then reconnects by itself.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while not outcome.failures:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            sent = time.perf_counter()
            try:
                connection.request("POST", API_PATH, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    outcome.failures.append(f"{exc.__class__.__name__}: {exc}")
                break
            elapsed = time.perf_counter() - sent
            if response.will_close:
                connection.close()
            with lock:
                outcome.latencies.append(elapsed)
                if response.status == 201:
                    outcome.created += json.loads(answer)["created"]
                else:
                    outcome.failures.append(f"HTTP {response.status}: {answer[:500]!r}")
        connection.close()

    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


def check_api_rows(declarations: list[dict], sample_size: int = 500) -> list[str]:
    """Counts must equal what was sent, and a sample must read back exactly as sent."""
    from feedback.models import Declaration, DeclarationOfficer

    problems = []
    expected_links = sum(len(d["officers"]) for d in declarations)
    if (found := Declaration.objects.count()) != len(declarations):
        problems.append(f"{found} declarations in the database, {len(declarations)} sent")
    if (found := DeclarationOfficer.objects.count()) != expected_links:
        problems.append(f"{found} officer links in the database, {expected_links} sent")
    sample = random.Random(SEED).sample(declarations, min(sample_size, len(declarations)))
    stored = (
        Declaration.objects.filter(number__in=[d["number"] for d in sample])
        .select_related("business", "branch", "team")
        .prefetch_related("officer_links__officer")
        .in_bulk(field_name="number")
    )
    for sent in sample:
        row = stored.get(sent["number"])
        if row is None:
            problems.append(f"declaration {sent['number']} is missing")
            continue
        read_back = {
            "channel": row.channel,
            "business_tax_code": row.business.tax_code,
            "branch_code": row.branch.code,
            "team_code": row.team.code if row.team else None,
            "registered_at": row.registered_at,
            "cleared_at": row.cleared_at,
            "officers": sorted((link.officer.code, link.stage) for link in row.officer_links.all()),
        }
        expected = {
            "channel": sent["channel"],
            "business_tax_code": sent["business_tax_code"],
            "branch_code": sent["branch_code"],
            "team_code": sent["team_code"],
            "registered_at": datetime.datetime.fromisoformat(sent["registered_at"]),
            "cleared_at": datetime.datetime.fromisoformat(sent["cleared_at"]) if sent["cleared_at"] else None,
            "officers": sorted((o["code"], o["stage"]) for o in sent["officers"]),
        }
        if read_back != expected:
            problems.append(f"declaration {sent['number']} reads back as {read_back}, sent {expected}")
            break
    return problems


# --- the COPY pass ------------------------------------------------------------------------------
DECLARATION_COLUMNS = (
    "id, number, type_code, channel, business_id, branch_id, team_id, registered_at, cleared_at, created_at, updated_at"
)
LINK_COLUMNS = "id, declaration_id, officer_id, stage, team_id"


def copy_same_rows(url: str) -> tuple[float, int, int]:
    """Export what the API wrote, empty both tables, time COPY FROM STDIN of the same rows (one transaction)."""
    import psycopg2

    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        declarations, links = io.BytesIO(), io.BytesIO()
        cursor.copy_expert(f"COPY feedback_declaration ({DECLARATION_COLUMNS}) TO STDOUT", declarations)
        cursor.copy_expert(f"COPY feedback_declarationofficer ({LINK_COLUMNS}) TO STDOUT", links)
        # CASCADE: tables added by later issues (ratings) point at declarations; this database is ours.
        cursor.execute("TRUNCATE feedback_declarationofficer, feedback_declaration CASCADE")
        connection.commit()
        checkpoint(url)  # the API pass's dirty pages are flushed now, not on COPY's time
        declarations.seek(0)
        links.seek(0)
        started = time.perf_counter()
        cursor.copy_expert(f"COPY feedback_declaration ({DECLARATION_COLUMNS}) FROM STDIN", declarations)
        cursor.copy_expert(f"COPY feedback_declarationofficer ({LINK_COLUMNS}) FROM STDIN", links)
        connection.commit()
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM feedback_declaration")
        declaration_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM feedback_declarationofficer")
        link_count = cursor.fetchone()[0]
    connection.close()
    return seconds, declaration_count, link_count


def checkpoint(url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    connection.close()


# --- profiling ----------------------------------------------------------------------------------
class _RolledBack(Exception):
    pass


def profile_one_batch(batch: list[dict]) -> None:
    """cProfile ingest_declarations on one batch, in process; a first call warms the caches."""
    from django.db import transaction

    from directory.models import User
    from feedback.declarations.services import ingest_declarations

    actor = User.objects.get(username=INTEGRATION_USERNAME)
    profiler = cProfile.Profile()
    for profiled in (False, True):
        with contextlib.suppress(_RolledBack), transaction.atomic():
            # A fresh copy each time: the service must not depend on dicts it was given before.
            items = json.loads(json.dumps(batch))
            if profiled:
                profiler.enable()
            ingest_declarations(items, actor=actor)
            profiler.disable()
            raise _RolledBack  # leave the database as it was
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


# --- the run ------------------------------------------------------------------------------------
def main() -> int:
    args = parse_args()
    url = args.database_url
    print(f"database {urlsplit(url).path.lstrip('/')}: recreating and migrating", flush=True)
    recreate_database(url)
    setup_django(url)
    directory = build_directory(args.count)
    declarations = generate_declarations(args.count, directory)
    bodies = [
        json.dumps(declarations[start : start + args.batch], ensure_ascii=False).encode()
        for start in range(0, len(declarations), args.batch)
    ]
    if args.profile:
        profile_one_batch(declarations[: args.batch])
        return 0
    links = sum(len(d["officers"]) for d in declarations)
    print(
        f"{args.count:,} declarations ({links:,} officer links) in {len(bodies)} requests of up to {args.batch}, "
        f"{args.clients} client threads, gunicorn {GUNICORN_WORKERS} sync workers, {os.cpu_count()} cores",
        flush=True,
    )

    from django.db import connections

    connections.close_all()
    checkpoint(url)
    port = free_port()
    server = start_gunicorn(url, port)
    try:
        api = post_batches(port, directory.token_key, bodies, args.clients)
    finally:
        stop_gunicorn(server)
    if api.failures:
        print(f"API pass FAILED: {api.failures[0]}", file=sys.stderr)
        return 1
    problems = check_api_rows(declarations)
    if api.created != args.count:
        problems.insert(0, f"the API answered created={api.created:,}, {args.count:,} sent")
    if problems:
        print("API pass wrote the wrong rows:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
        return 1
    connections.close_all()

    copy_seconds, copied, copied_links = copy_same_rows(url)
    if (copied, copied_links) != (args.count, links):
        print(f"COPY pass loaded {copied:,} declarations and {copied_links:,} links", file=sys.stderr)
        return 1

    api_rate = args.count / api.seconds
    copy_rate = args.count / copy_seconds
    latencies = sorted(api.latencies)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    print(f"API  : {api.seconds:8.2f} s  {api_rate:10,.0f} declarations/s", end="")
    print(f"  (request median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms)")
    print(f"COPY : {copy_seconds:8.2f} s  {copy_rate:10,.0f} declarations/s")
    print(f"ratio API/COPY: {api_rate / copy_rate:.1%} (aim: at least 10%)")
    # Other work on the machine moves both figures; the load says how much to trust this run.
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
