#!/usr/bin/env python
"""Ratings per second through POST /api/v1/declarations/{number}/rating/, beside a bare insert view (issues 3 and 14).

    .venv/bin/python bench/rating_api.py [--rate 40] [--open-seconds 20] [--seconds 15] [--clients 16]

In one run it:
1. drops and recreates a dedicated PostgreSQL database (default cp_ratebench; --database-url or
   BENCH_DATABASE_URL to change it), migrates it, and creates a department, a branch, a team with
   officers, one business with a business user and that user's API token (issue_api_token);
2. bulk-inserts two pools of cleared declarations (cleared days ago, inside the rating window), each
   handled by two officers: one pool for the API, one for the baseline, big enough that every request
   rates a declaration nobody rated before;
3. starts gunicorn (2 sync workers, DEBUG off as deployed) on a free loopback port with
   bench.rating_settings, which serves the portal's urls plus the bench-only POST /bench/bare-insert/<number>/
   (one INSERT ... SELECT into feedback_rating: the floor under any rating endpoint);
4. latency at a fixed rate (open loop): sends --rate requests per second (40) to each endpoint for
   --open-seconds (20), each on its own schedule whether or not the earlier ones have answered, and
   times each from the moment it was due (so a slow answer delays nothing and hides nothing): p50, p99;
   aim: the rating API's p99 under 50 ms at 40 ratings/s;
5. throughput (closed loop): drives each endpoint from the same number of client threads for the same
   time, after a short warm-up, with the same realistic bodies (branch and team levels, one or two
   officers, a comment; about 5% dissatisfied with reasons); aim: the API at least 40% of the bare insert.
   Its latencies are queueing (clients / throughput), not the endpoint's: quote the open-loop ones;
6. prints requests per second, p50, p99 and the workers' CPU per request for both and the ratios, then
   checks that the database holds exactly one rating (and the officer rows, and the dissatisfied flags)
   per 201 answer, and no 5xx.

--floor adds a third endpoint in the same run, POST /bench/drf-floor/<number>/: the bare view's INSERT
behind DRF with the API's token authentication and permissions (what any DRF endpoint of the portal
costs before it does anything of its own). --count N (default 200; 0 to skip) first sends N requests
per endpoint in process (Django's test client, the served settings) and prints the deterministic work
per request: SQL statements, profiler events (cProfile with a counting timer) and CPU.

It is a command, not a test: it prints figures and exits non-zero when the check fails.
The machine is shared and noisy (the load generator runs on the same 2 cores as gunicorn and
PostgreSQL), so compare the ratio within one run and run it more than once.
"""

import argparse
import concurrent.futures
import contextlib
import datetime
import importlib.metadata
import itertools
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_ratebench"
GUNICORN_WORKERS = 2  # fixed by the issue: the figure is for the smallest real deployment
SEED = 20261102
OFFICERS = 24  # in one team; declaration i is handled by officers i % 24 and (i + 5) % 24
# Requests per second no pass can reach on these machines (a tiny GET does ~4,500): pools are sized with it.
CEILING_PER_SECOND = 3_000
# declaration numbers: prefix + 10 digits, one pool per endpoint
API_PREFIX, BARE_PREFIX, FLOOR_PREFIX = "10", "20", "30"
HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
REASONS = ["delay", "harassment", "attitude", "procedural_error", "unnecessary_documents", "other"]
SATISFIED_COMMENTS = [
    "Thủ tục nhanh, cán bộ hướng dẫn tận tình.",
    "Hài lòng với thời gian thông quan.",
    "Cán bộ làm việc chuyên nghiệp, đúng quy định.",
    "Bình thường.",
    "Mọi việc suôn sẻ, cảm ơn Chi cục.",
    "",
]
DISSATISFIED_COMMENTS = [
    "Hồ sơ bị giữ hai ngày mà không có lý do rõ ràng.",
    "Cán bộ yêu cầu bổ sung chứng từ không cần thiết.",
    "Thái độ tiếp nhận chưa tốt, phải gọi điện nhiều lần.",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per endpoint (default 15)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds per endpoint first (default 2)")
    parser.add_argument("--floor", action="store_true", help="also drive the DRF floor endpoint (see above)")
    parser.add_argument("--rate", type=float, default=40, help="open-loop requests per second (default 40; 0: skip)")
    parser.add_argument("--open-seconds", type=float, default=20, help="open-loop seconds per endpoint (default 20)")
    parser.add_argument(
        "--count", type=int, default=200, help="in-process requests per endpoint to count work (default 200; 0: none)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the database to DROP and recreate (default %(default)s)",
    )
    args = parser.parse_args()
    if args.seconds <= 0 or args.clients < 1 or args.warmup < 0 or args.count < 0:
        parser.error("--seconds must be positive, --clients at least 1, --warmup and --count not negative")
    if args.rate < 0 or args.open_seconds <= 0:
        parser.error("--rate must not be negative, --open-seconds positive")
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
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        # FORCE: a previous run killed half-way may have left a gunicorn connection behind.
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def served_environment(url: str) -> dict[str, str]:
    """The settings gunicorn serves with, as deployed: DEBUG off, warnings-only logs."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.rating_settings",
        "DATABASE_URL": url,
        "DEBUG": "false",  # as deployed; DEBUG on would also keep every SQL statement in memory
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy on loopback; the redirect would answer 301
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic for a JSON API
    }


def setup_django(url: str) -> None:
    """This process runs with the served settings too, so that --count measures what gunicorn runs."""
    environment = served_environment(url)
    environment["ALLOWED_HOSTS"] += ",testserver"  # Django's test client, for --count
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Fixture:
    """What the benchmark built: the rows declarations point at, and the business user's token."""

    business: object
    branch: object
    team: object
    officers: list
    rater_id: int
    token_key: str

    @property
    def officer_codes(self) -> list[str]:
        return [officer.code for officer in self.officers]


def build_fixture() -> Fixture:
    """Migrate; one department, branch and team with officers; one business, its user and an API token."""
    from django.core.management import call_command
    from django.db import transaction

    from directory.choices import Role
    from directory.models import Branch, Business, BusinessMembership, Department, Officer, Team, TeamMembership, User
    from directory.services import issue_api_token
    from directory.taxcode import make_tax_codes

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        department = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh", province_tax_prefix="57")
        branch = Branch.objects.create(department=department, code="MC", name="Chi cục Hải quan cửa khẩu Móng Cái")
        team = Team.objects.create(branch=branch, code="MC-TT", name="Đội Thủ tục hàng hóa")
        officers = Officer.objects.bulk_create(
            Officer(code=f"MC{number:04d}", full_name=f"Công chức {number}", branch=branch)
            for number in range(1, OFFICERS + 1)
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(officer=officer, team=team, started_on=datetime.date(2024, 1, 1)) for officer in officers
        )
        (tax_code,) = make_tax_codes(57, 1, start=4242)
        business = Business.objects.create(tax_code=tax_code, name="Công ty TNHH Xuất nhập khẩu Hạ Long")
        user = User.objects.create_user("bench-business", role=Role.BUSINESS)
        BusinessMembership.objects.create(user=user, business=business, is_admin=True)
        _token, key = issue_api_token(user, "declaration software (benchmark)")
    return Fixture(business, branch, team, officers, user.pk, key)


def insert_declarations(prefix: str, count: int, fixture: Fixture) -> None:
    """`count` declarations numbered prefix + 0000000000.., cleared 2-5 days ago, two officers each."""
    from django.db import connection, transaction

    officer_ids = [officer.pk for officer in fixture.officers]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_declaration (number, type_code, channel, business_id, branch_id, team_id,
                                              registered_at, cleared_at, created_at, updated_at)
            SELECT %s || lpad(i::text, 10, '0'), 'A11', 'green', %s, %s, %s,
                   now() - interval '5 days' + (i %% 86400) * interval '2 seconds',
                   now() - interval '5 days' + (i %% 86400) * interval '2 seconds' + interval '90 minutes',
                   now(), now()
            FROM generate_series(0, %s - 1) AS i
            """,
            [prefix, fixture.business.pk, fixture.branch.pk, fixture.team.pk, count],
        )
        for stage, shift in (("reception", 0), ("document_check", 5)):
            cursor.execute(
                """
                INSERT INTO feedback_declarationofficer (declaration_id, officer_id, stage, team_id)
                SELECT id, (%s::bigint[])[(substr(number, 3)::bigint + %s) %% %s + 1], %s, team_id
                FROM feedback_declaration WHERE number LIKE %s
                """,
                [officer_ids, shift, len(officer_ids), stage, f"{prefix}%"],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def checkpoint(url: str) -> None:
    """Flush dirty pages now, so the next pass does not pay for the previous one's writes."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    connection.close()


# --- the request bodies ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    body: bytes
    officers: int
    dissatisfied: bool


def submission(index: int, officer_codes: list[str]) -> Submission:
    """The body rating declaration `index` of a pool: the same for the same index, ~5% dissatisfied."""
    rng = random.Random(SEED * 1_000_003 + index)
    handled = [officer_codes[index % OFFICERS], officer_codes[(index + 5) % OFFICERS]]
    rated = handled[: rng.choice((1, 2))]
    satisfied_levels = (5, 5, 5, 4, 4, 3)
    payload: dict = {
        "branch_level": rng.choice(satisfied_levels),
        "team_level": rng.choice(satisfied_levels),
        "officers": [{"code": code, "level": rng.choice(satisfied_levels)} for code in rated],
    }
    dissatisfied = rng.random() < 0.05
    if dissatisfied:
        reasons = rng.sample(REASONS, rng.choice((1, 2)))
        target = rng.choice(("branch", "team", "officer"))
        if target == "officer":
            payload["officers"][0].update(level=rng.choice((1, 2)), reasons=reasons)
        else:
            payload[f"{target}_level"] = rng.choice((1, 2))
            payload[f"{target}_reasons"] = reasons
        payload["comment"] = rng.choice(DISSATISFIED_COMMENTS)
    else:
        payload["comment"] = rng.choice(SATISFIED_COMMENTS)
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Submission(body, len(rated), dissatisfied)


# --- gunicorn -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, rater_id: int) -> subprocess.Popen:
    """gunicorn as deployed (DEBUG off, warnings-only logs, no access log) on loopback; returns once it answers.

    2 sync workers (fixed by the issue), as docker-compose.yml and the Dockerfile run them; persistent
    database connections from the portal's settings (CONN_MAX_AGE 60 with health checks), as deployed.
    The one difference: no access log (the image writes one line per request to stdout), which would
    cost every endpoint the same and only add noise here.
    """
    env = os.environ | served_environment(url) | {"BENCH_RATER_ID": str(rater_id)}
    env.pop("CELERY_BROKER_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "customs_portal.wsgi", f"--workers={GUNICORN_WORKERS}", f"--bind=127.0.0.1:{port}"]
        + ["--timeout=60", "--graceful-timeout=5", "--log-level=warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, so stop_gunicorn can reach the workers too
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            status, _answer = http_request(port, HEALTH_REQUEST)
            if status == 200:
                return process
        time.sleep(0.2)
    stop_gunicorn(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM (graceful), SIGKILL to the whole group after 10 s: the benchmark never leaves a server behind."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # workers orphaned by a killed master


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU seconds (user + system) used so far by gunicorn's workers, from /proc (Linux).

    On a shared, noisy machine the CPU a request costs the server is steadier than requests per second.
    """
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return float("nan")
    ticks = 0
    for pid in children:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the load -----------------------------------------------------------------------------------
def http_request(port: int, request: bytes) -> tuple[int, bytes]:
    """One request on a fresh connection; gunicorn's sync workers close after each answer, so read to EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    return int(answer[9:12]), answer


@dataclass
class Pass:
    """What one endpoint did in one timed phase."""

    seconds: float = 0.0
    server_cpu_seconds: float = float("nan")
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    created_officers: int = 0
    created_dissatisfied: int = 0
    errors: list[str] = field(default_factory=list)
    first_unexpected: str = ""

    @property
    def created(self) -> int:
        return self.statuses[201]

    def absorb(self, other: "Pass") -> None:
        self.statuses.update(other.statuses)
        self.created_officers += other.created_officers
        self.created_dissatisfied += other.created_dissatisfied
        self.errors += other.errors
        self.first_unexpected = self.first_unexpected or other.first_unexpected


class Pool:
    """The declarations of one endpoint, handed out once each across threads and phases."""

    def __init__(self, prefix: str, size: int):
        self.prefix, self.size = prefix, size
        self._next = itertools.count()  # next() on itertools.count is atomic under the GIL

    def take(self) -> int | None:
        index = next(self._next)
        return index if index < self.size else None


def drive(port: int, path_of, headers: bytes, pool: Pool, officer_codes, clients: int, seconds: float) -> Pass:
    """`clients` threads, each sending one request after the other on a fresh connection until time is up."""
    outcome = Pass()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine = Pass()
        while time.perf_counter() < deadline:
            index = pool.take()
            if index is None:
                mine.errors.append(f"pool {pool.prefix} exhausted: raise CEILING_PER_SECOND")
                break
            number = f"{pool.prefix}{index:010d}"
            sent = submission(index, officer_codes)
            request = (
                f"POST {path_of(number)} HTTP/1.1\r\nContent-Length: {len(sent.body)}\r\n".encode()
                + headers
                + sent.body
            )
            started = time.perf_counter()
            try:
                status, answer = http_request(port, request)
            except OSError as exc:
                mine.errors.append(f"{exc.__class__.__name__}: {exc}")
                continue
            mine.latencies.append(time.perf_counter() - started)
            mine.statuses[status] += 1
            if status == 201:
                mine.created_officers += sent.officers
                mine.created_dissatisfied += sent.dissatisfied
            elif not mine.first_unexpected:
                mine.first_unexpected = f"{number}: {answer[:600]!r}"
        with lock:
            outcome.latencies += mine.latencies
            outcome.absorb(mine)

    threads = [threading.Thread(target=client, name=f"client-{n}", daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


def drive_open(port: int, path_of, headers: bytes, pool: Pool, officer_codes, rate: float, seconds: float) -> Pass:
    """Open loop: request i is due at start + i / rate and is sent then, on a thread of its own, whatever the
    earlier ones are doing; its latency runs from when it was due, so time spent waiting for a free sender
    counts too (no coordinated omission)."""
    outcome = Pass()
    lock = threading.Lock()
    due_count = int(rate * seconds)
    senders = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="open-loop")

    def send(index: int, due: float) -> None:
        mine = Pass()
        number = f"{pool.prefix}{index:010d}"
        sent = submission(index, officer_codes)
        request = (
            f"POST {path_of(number)} HTTP/1.1\r\nContent-Length: {len(sent.body)}\r\n".encode() + headers + sent.body
        )
        try:
            status, answer = http_request(port, request)
        except OSError as exc:
            mine.errors.append(f"{exc.__class__.__name__}: {exc}")
        else:
            mine.latencies.append(time.perf_counter() - due)
            mine.statuses[status] += 1
            if status == 201:
                mine.created_officers += sent.officers
                mine.created_dissatisfied += sent.dissatisfied
            else:
                mine.first_unexpected = f"{number}: {answer[:600]!r}"
        with lock:
            outcome.latencies += mine.latencies
            outcome.absorb(mine)

    started = time.perf_counter()
    for n in range(due_count):
        due = started + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        index = pool.take()
        if index is None:
            outcome.errors.append(f"pool {pool.prefix} exhausted")
            break
        senders.submit(send, index, due)
    senders.shutdown(wait=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def open_summary(name: str, result: Pass, rate: float) -> str:
    latencies = sorted(result.latencies)
    if not latencies:
        return f"{name}: no answer"
    answers = dict(sorted(result.statuses.items()))
    return (
        f"{name}: at {rate:g}/s  p50 {statistics.median(latencies) * 1000:6.1f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms  max {latencies[-1] * 1000:6.0f} ms  "
        f"({len(latencies):,} requests in {result.seconds:.1f} s; answers {answers})"
    )


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


def summary(name: str, result: Pass) -> str:
    latencies = sorted(result.latencies)
    if not latencies:
        return f"{name}: no answer"
    rate = result.created / result.seconds
    cpu_per_request = result.server_cpu_seconds / len(latencies) * 1000
    answers = dict(sorted(result.statuses.items()))
    return (
        f"{name}: {rate:7,.0f} ratings/s  p50 {statistics.median(latencies) * 1000:6.1f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms  max {latencies[-1] * 1000:6.0f} ms  "
        f"workers' CPU {cpu_per_request:5.2f} ms/request\n"
        f"{'':14}({result.created:,} created in {result.seconds:.1f} s; answers {answers})"
    )


# --- the work per request, in process -----------------------------------------------------------
@dataclass
class Work:
    statements: Counter = field(default_factory=Counter)  # SQL statements per request (BEGIN/COMMIT apart)
    transactions: Counter = field(default_factory=Counter)  # BEGIN/COMMIT/ROLLBACK per request
    events: float = 0.0  # cProfile events per request
    cpu_ms: float = 0.0  # CPU per request without the profiler


def count_work(name: str, path_of, headers: dict, pool: Pool, officer_codes, requests: int, total: Pass) -> Work:
    """`requests` requests through Django's test client (same settings as gunicorn), three times over:
    SQL statements per request, CPU per request, then cProfile events per request (a counting timer, so
    the figure is the same from run to run on a noisy machine). The 201s count in `total` for the check."""
    import cProfile

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    work = Work()

    def send() -> tuple[str, Submission]:
        index = pool.take()
        if index is None:
            raise SystemExit(f"pool {pool.prefix} exhausted while counting")
        number = f"{pool.prefix}{index:010d}"
        sent = submission(index, officer_codes)
        response = client.generic("POST", path_of(number), sent.body, content_type="application/json", **headers)
        total.statuses[response.status_code] += 1
        if response.status_code == 201:
            total.created_officers += sent.officers
            total.created_dissatisfied += sent.dissatisfied
        elif not total.first_unexpected:
            total.first_unexpected = f"{number} (in process): {response.content[:600]!r}"
        return "dissatisfied" if sent.dissatisfied else "satisfied", sent

    for _ in range(10):  # warm-up: imports, caches, the database connection
        send()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(requests):
            before = len(queries.captured_queries)
            kind, _sent = send()
            sql = [query["sql"] for query in queries.captured_queries[before:]]
            control = sum(1 for statement in sql if statement in ("BEGIN", "COMMIT", "ROLLBACK"))
            work.statements[(kind, len(sql) - control)] += 1
            work.transactions[(kind, control)] += 1
    started = time.process_time()
    for _ in range(requests):
        send()
    work.cpu_ms = (time.process_time() - started) / requests * 1000
    ticks = itertools.count()
    profiler = cProfile.Profile(timer=lambda: next(ticks))
    profiler.enable()
    for _ in range(requests):
        send()
    profiler.disable()
    work.events = next(ticks) / requests
    return work


def work_summary(name: str, work: Work) -> str:
    def per_kind(counter: Counter) -> str:
        kinds = {}
        for (kind, value), times in sorted(counter.items()):
            kinds.setdefault(kind, []).append(f"{value}" + (f" ({times}x)" if len(counter) > 1 else ""))
        return "; ".join(f"{kind} {', '.join(values)}" for kind, values in kinds.items())

    return (
        f"{name}: {work.events:7,.0f} profiler events/request  CPU {work.cpu_ms:5.2f} ms/request (in process)\n"
        f"{'':14}SQL statements per request: {per_kind(work.statements)}; "
        f"BEGIN/COMMIT: {per_kind(work.transactions)}"
    )


# --- the check ----------------------------------------------------------------------------------
def check_database(totals: dict[str, Pass], pools: dict[str, Pool]) -> list[str]:
    """One rating per 201 answer in each pool, the API's officer rows and dissatisfied flags, no 5xx, no error."""
    from feedback.models import Rating, RatingOfficer

    problems = []
    for name, total in totals.items():
        prefix = pools[name].prefix
        ratings = Rating.objects.filter(declaration__number__startswith=prefix)
        if (found := ratings.count()) != total.created:
            problems.append(f"{name}: {found:,} ratings in the database, {total.created:,} answers 201")
        if server_errors := sum(count for status, count in total.statuses.items() if status >= 500):
            problems.append(f"{name}: {server_errors:,} answers 5xx")
        if unexpected := sum(count for status, count in total.statuses.items() if status != 201):
            problems.append(f"{name}: {unexpected:,} answers other than 201, first {total.first_unexpected}")
        if total.errors:
            problems.append(f"{name}: {len(total.errors):,} failed requests, first {total.errors[0]}")
    api = totals["rating API"]
    api_ratings = Rating.objects.filter(declaration__number__startswith=API_PREFIX)
    officer_rows = RatingOfficer.objects.filter(rating__in=api_ratings).count()
    if officer_rows != api.created_officers:
        problems.append(f"rating API: {officer_rows:,} officer ratings stored, {api.created_officers:,} accepted")
    if (found := api_ratings.filter(is_dissatisfied=True).count()) != api.created_dissatisfied:
        problems.append(f"rating API: {found:,} dissatisfied ratings stored, {api.created_dissatisfied:,} sent")
    return problems


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}" for package in ("Django", "djangorestframework", "gunicorn")
    )
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"PostgreSQL {postgres}, {versions}"
    )


# --- the run ------------------------------------------------------------------------------------
def main() -> int:
    args = parse_args()
    # A SIGTERM (a CI timeout) unwinds like Ctrl-C, so the finally below stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = args.database_url
    print(f"database {urlsplit(url).path.lstrip('/')}: recreating, migrating, inserting declarations", flush=True)
    recreate_database(url)
    setup_django(url)
    fixture = build_fixture()
    pool_size = (
        int(CEILING_PER_SECOND * (args.seconds + args.warmup) + args.rate * args.open_seconds)
        + 1_000
        + 3 * args.count
        + 10
    )
    pools = {"bare insert": Pool(BARE_PREFIX, pool_size), "rating API": Pool(API_PREFIX, pool_size)}
    if args.floor:
        pools["DRF floor"] = Pool(FLOOR_PREFIX, pool_size)
    for pool in pools.values():
        insert_declarations(pool.prefix, pool.size, fixture)
    print(f"machine: {machine()}")
    print(
        f"{len(pools) * pool_size:,} cleared declarations in {len(pools)} pools; gunicorn {GUNICORN_WORKERS} sync "
        f"workers, DEBUG off; {args.clients} clients, {args.warmup:g} s warm-up + {args.seconds:g} s per endpoint",
        flush=True,
    )

    from django.conf import settings
    from django.db import connections

    common = b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nConnection: close\r\n"
    token = f"Authorization: Token {fixture.token_key}\r\n".encode()
    endpoints = {
        "bare insert": (lambda number: f"/bench/bare-insert/{number}/", common + b"\r\n"),
        "rating API": (lambda number: f"/api/v1/declarations/{number}/rating/", token + common + b"\r\n"),
    }
    if args.floor:
        endpoints["DRF floor"] = (lambda number: f"/bench/drf-floor/{number}/", token + common + b"\r\n")
    officer_codes = fixture.officer_codes
    measured: dict[str, Pass] = {}
    open_loop: dict[str, Pass] = {}
    totals = {name: Pass() for name in endpoints}
    if args.count:
        settings.BENCH_RATER_ID = fixture.rater_id
        for name, (path_of, headers) in endpoints.items():
            in_process = {"HTTP_ACCEPT": "application/json"}
            if headers.startswith(b"Authorization"):
                in_process["HTTP_AUTHORIZATION"] = f"Token {fixture.token_key}"
            work = count_work(name, path_of, in_process, pools[name], officer_codes, args.count, totals[name])
            print(work_summary(f"{name:<12}", work), flush=True)
    connections.close_all()
    port = free_port()
    server = start_gunicorn(url, port, fixture.rater_id)
    try:
        if args.rate:
            print(f"latency at a fixed rate (open loop), {args.open_seconds:g} s per endpoint:", flush=True)
            for name, (path_of, headers) in endpoints.items():
                checkpoint(url)
                if args.warmup:  # the workers' connections and first requests, unmeasured
                    totals[name].absorb(drive_open(port, path_of, headers, pools[name], officer_codes, 20, 1))
                result = drive_open(port, path_of, headers, pools[name], officer_codes, args.rate, args.open_seconds)
                totals[name].absorb(result)
                open_loop[name] = result
                print(open_summary(f"{name:<12}", result, args.rate), flush=True)
            print("throughput (closed loop):", flush=True)
        for name, (path_of, headers) in endpoints.items():
            checkpoint(url)
            if args.warmup:
                warmup = drive(port, path_of, headers, pools[name], officer_codes, args.clients, args.warmup)
                totals[name].absorb(warmup)
            cpu_before = worker_cpu_seconds(server)
            result = drive(port, path_of, headers, pools[name], officer_codes, args.clients, args.seconds)
            result.server_cpu_seconds = worker_cpu_seconds(server) - cpu_before
            totals[name].absorb(result)
            measured[name] = result
            print(summary(f"{name:<12}", result), flush=True)
    finally:
        stop_gunicorn(server)

    def rate(result: Pass) -> float:
        return result.created / result.seconds

    def cpu_per_request(result: Pass) -> float:
        return result.server_cpu_seconds / len(result.latencies) if result.latencies else float("nan")

    bare, api = measured["bare insert"], measured["rating API"]
    ratio = rate(api) / rate(bare) if bare.created and api.created else 0.0
    print(f"throughput API/bare: {ratio:.0%} (aim: at least 40%): {'met' if ratio >= 0.4 else 'NOT met'}")
    if opened := open_loop.get("rating API"):
        p99 = percentile(sorted(opened.latencies), 0.99) * 1000 if opened.latencies else float("inf")
        verdict = "met" if p99 < 50 else "NOT met"
        print(f"API p99 at {args.rate:g} ratings/s (open loop): {p99:.1f} ms (aim: under 50 ms): {verdict}")
    print(f"workers' CPU per request, API/bare: {cpu_per_request(api) / cpu_per_request(bare):.1f}x")
    if floor := measured.get("DRF floor"):
        floor_cpu, api_cpu = (
            cpu_per_request(floor) / cpu_per_request(bare),
            cpu_per_request(api) / cpu_per_request(floor),
        )
        print(
            f"DRF floor/bare: {rate(floor) / rate(bare):.0%} (CPU {floor_cpu:.1f}x); "
            f"API/DRF floor: {rate(api) / rate(floor):.0%} (CPU {api_cpu:.1f}x)"
        )

    problems = check_database(totals, pools)
    if problems:
        print("check FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(
        f"check: {sum(total.created for total in totals.values()):,} ratings stored = 201 answers "
        "(warm-up and counting included), officer rows and dissatisfied flags as sent, no 5xx"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
