#!/usr/bin/env python
"""Charter compliance at scale: rebuild vs a plain GROUP BY, and an incremental fold (issue 16).

    .venv/bin/python bench/charter.py --declarations 1000000 [--database-url postgres://.../cp_charterbench]

In one run it:
1. drops and recreates a dedicated PostgreSQL database (default cp_charterbench, or BENCH_DATABASE_URL),
   migrates it and builds a department of 7 branches and 35 teams, with a swap Saturday and a day off;
2. generates N cleared declarations over 24 months with stage times (vectorised with numpy, fixed seed:
   channel mix 70/22/8; every one received then registered, yellow and red ones document-checked, red
   ones inspected, lognormal durations with a tail) and loads them with COPY; then ANALYZE;
3. times, under the fold's session settings: a plain GROUP BY over the same rows (branch x team x local
   month of clearance, counting and summing the three stage durations on the wall clock: the same
   reading and grouping without working time or buckets); then `rebuild_compliance()` from nothing (it
   times every declaration: what a first run or a calendar change costs); then marks 0.2% of the
   declarations as sent again by the clearance system and times the nightly `rebuild_compliance()`
   (re-times those, counts every stored timing again), twice, and prints the ratios;
4. COPYs 10,000 new declarations (ids above, cleared in the last month) and times `fold_compliance()`,
   then checks the department's measured counts against the declarations table.

`--reuse` keeps the database of an earlier run (same N) instead of generating it again.

It is a command, not a test. The machine is shared and noisy: compare ratios within one run.
"""

import argparse
import datetime
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_declarations import recreate_database, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_charterbench"
SEED = 20261216
BRANCHES = 7
TEAMS_PER_BRANCH = 5
BUSINESSES = 200
MONTHS = 24
START = np.datetime64("2025-01-01T00:00:00")
CHUNK = 500_000
NEW_DECLARATIONS = 10_000
SENT_AGAIN_SHARE = 0.002
COLUMNS = (
    "id, number, type_code, channel, business_id, branch_id, team_id, received_at, registered_at, "
    "document_check_done_at, inspection_done_at, cleared_at, created_at, updated_at"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--declarations", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run generated")
    return parser.parse_args()


def build_directory():
    from django.core.management import call_command

    from directory.choices import CalendarDayKind
    from directory.models import Branch, Business, CalendarDay, Department, Team
    from directory.taxcode import make_tax_codes

    call_command("migrate", verbosity=0, interactive=False)
    department = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh")
    CalendarDay.objects.create(department=department, date=datetime.date(2025, 4, 26), kind=CalendarDayKind.WORKING_DAY)
    CalendarDay.objects.create(department=department, date=datetime.date(2025, 5, 2), kind=CalendarDayKind.DAY_OFF)
    team_branch = {}
    for number in range(BRANCHES):
        branch = Branch.objects.create(department=department, code=f"B{number}", name=f"Chi cục {number}")
        for t in range(TEAMS_PER_BRANCH):
            team_branch[Team.objects.create(branch=branch, code=f"B{number}-T{t}", name=f"Đội {t}").pk] = branch.pk
    Business.objects.bulk_create(
        Business(tax_code=code, name=f"Công ty {index}") for index, code in enumerate(make_tax_codes(57, BUSINESSES))
    )
    return department, team_branch, list(Business.objects.values_list("pk", flat=True))


def _minutes(rng, median: float, spread: float, size: int) -> np.ndarray:
    return (rng.lognormal(np.log(median), spread, size) * 60).astype("timedelta64[s]")


def frame(
    rng, first_id: int, size: int, team_branch: dict, businesses: list, *, start, span_seconds: int, created=None
):
    """`size` declarations as a DataFrame of COPY columns, vectorised (no loop over rows)."""
    teams = np.array(list(team_branch))
    branch_of = np.vectorize(team_branch.get)
    team = rng.choice(teams, size)
    channel = rng.choice(np.array(["green", "yellow", "red"]), size, p=[0.70, 0.22, 0.08])
    registered = start + rng.integers(0, span_seconds, size).astype("timedelta64[s]")
    received = registered - _minutes(rng, 12, 0.6, size)
    checked = channel != "green"
    document = np.where(checked, registered + _minutes(rng, 55, 0.8, size), np.datetime64("NaT"))
    inspected = channel == "red"
    inspection = np.where(inspected, document + _minutes(rng, 240, 0.7, size), np.datetime64("NaT"))
    last = np.where(inspected, inspection, np.where(checked, document, registered))
    cleared = last + _minutes(rng, 20, 0.5, size)
    ids = np.arange(first_id, first_id + size)
    return pd.DataFrame(
        {
            "id": ids,
            "number": [f"{pk:012d}" for pk in ids],
            "type_code": "A11",
            "channel": channel,
            "business_id": rng.choice(np.array(businesses), size),
            "branch_id": branch_of(team),
            "team_id": team,
            "received_at": received,
            "registered_at": registered,
            "document_check_done_at": document,
            "inspection_done_at": inspection,
            "cleared_at": cleared,
            "created_at": cleared if created is None else created,
            "updated_at": cleared if created is None else created,
        }
    )


def copy_frame(cursor, data: pd.DataFrame) -> None:
    buffer = io.StringIO()
    # Naive datetimes are UTC; the session's time zone is set to UTC for the COPY.
    data.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
    buffer.seek(0)
    cursor.copy_expert(f"COPY feedback_declaration ({COLUMNS}) FROM STDIN", buffer)


def load(
    cursor, count: int, team_branch, businesses, rng, *, first_id=1, start=START, span_seconds=None, created=None
) -> None:
    span = span_seconds or MONTHS * 30 * 24 * 3600
    cursor.execute("SET TIME ZONE 'UTC'")
    # The rows are generated consistent (existing branches, teams, businesses): skip the per-row
    # foreign-key triggers while loading, as pg_restore does.
    cursor.execute("SET session_replication_role = replica")
    for chunk_start in range(first_id, first_id + count, CHUNK):
        size = min(CHUNK, first_id + count - chunk_start)
        data = frame(rng, chunk_start, size, team_branch, businesses, start=start, span_seconds=span, created=created)
        copy_frame(cursor, data)
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('feedback_declaration', 'id'), MAX(id)) FROM feedback_declaration"
    )


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def plain_group_by(cursor) -> float:
    """The like-for-like baseline: the same rows read and grouped by branch x team x local month of
    clearance, with the three stage durations summed on the wall clock (no calendar, no buckets)."""
    from charter import rollup

    month, params = rollup._month("cleared_at")
    cursor.execute(f"SET work_mem = '{rollup.FOLD_WORK_MEM}'")
    cursor.execute("SET jit = off")
    started = time.perf_counter()
    cursor.execute(
        f"SELECT branch_id, team_id, {month} AS month, COUNT(*), "
        "SUM(date_part('epoch', registered_at - received_at)), "
        "SUM(date_part('epoch', document_check_done_at - registered_at)), "
        "SUM(date_part('epoch', inspection_done_at - COALESCE(document_check_done_at, registered_at))) "
        "FROM feedback_declaration WHERE cleared_at IS NOT NULL GROUP BY 1, 2, 3",
        params,
    )
    cursor.fetchall()
    return time.perf_counter() - started


def reusable(cursor, declarations: int) -> bool:
    cursor.execute("SELECT COUNT(*) FROM feedback_declaration WHERE id <= %s", [declarations])
    return cursor.fetchone()[0] == declarations


def main() -> None:
    args = parse_args()
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    from charter.choices import Level
    from charter.models import ComplianceHistogram, DeclarationTiming, Overrun
    from charter.rollup import fold_compliance, rebuild_compliance
    from directory.models import Business, Team

    rng = np.random.default_rng(SEED)
    with connection.cursor() as cursor:
        if args.reuse and reusable(cursor, args.declarations):
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
            cursor.execute(f"DELETE FROM feedback_declaration WHERE id > {args.declarations}")
            team_branch = dict(Team.objects.values_list("pk", "branch_id"))
            businesses = list(Business.objects.values_list("pk", flat=True))
            print(f"reusing {args.declarations:,} declarations")
        else:
            _department, team_branch, businesses = build_directory()
            seconds, _ = timed(load, cursor, args.declarations, team_branch, businesses, rng)
            print(f"loaded {args.declarations:,} declarations with COPY in {seconds:.1f} s")
        cursor.execute("VACUUM ANALYZE")
        baseline = [plain_group_by(cursor) for _ in range(3)]
    base = min(baseline)
    print(f"plain GROUP BY (branch x team x month, wall-clock sums): {', '.join(f'{s:.2f}' for s in baseline)} s")
    first, result = timed(rebuild_compliance, lag_seconds=0, retime=True)
    print(f"rebuild_compliance(retime=True), timing every declaration: {first:.2f} s ({first / base:.2f}x)")
    nightly = []
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE feedback_declaration SET updated_at = now() WHERE id IN "
                "(SELECT id FROM feedback_declaration TABLESAMPLE BERNOULLI (%s))",
                [SENT_AGAIN_SHARE * 100],
            )
            sent_again = cursor.rowcount
        seconds, result = timed(rebuild_compliance, lag_seconds=0)
        nightly.append(seconds)
        print(
            f"nightly rebuild_compliance() ({sent_again:,} declarations sent again): {seconds:.2f} s "
            f"({seconds / base:.2f}x the plain GROUP BY)"
        )
    print(
        f"  rows: {DeclarationTiming.objects.count():,} timings, {ComplianceHistogram.objects.count():,} histogram, "
        f"{Overrun.objects.count():,} overruns; watermark {result.declarations_to:,}"
    )

    last_month = START + np.timedelta64((MONTHS - 1) * 30, "D")
    with connection.cursor() as cursor:
        load(
            cursor,
            NEW_DECLARATIONS,
            team_branch,
            businesses,
            rng,
            first_id=args.declarations + 1,
            start=last_month,
            span_seconds=25 * 24 * 3600,
            created=np.datetime64(
                datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=5)
            ),
        )
        cursor.execute("ANALYZE feedback_declaration")
    seconds, fold = timed(fold_compliance, lag_seconds=0)
    again, _ = timed(fold_compliance, lag_seconds=0)
    print(
        f"fold_compliance() of {fold.declarations_to - fold.declarations_from:,} new declarations: {seconds:.3f} s; "
        f"a fold with nothing new: {again:.3f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE received_at IS NOT NULL), COUNT(document_check_done_at), "
            "COUNT(inspection_done_at) FROM feedback_declaration WHERE cleared_at IS NOT NULL "
            "AND registered_at >= '2015-01-01'"
        )
        expected = cursor.fetchone()
    measured = [
        sum(
            ComplianceHistogram.objects.filter(level=Level.DEPARTMENT, commitment=code).values_list(
                "measured", flat=True
            )
        )
        for code in ("registration", "document_check", "physical_inspection")
    ]
    verdict = "OK" if measured == list(expected) else "MISMATCH"
    print(f"check: measured {measured} vs declarations {list(expected)}: {verdict}")
    ratio = min(nightly) / base
    print(
        f"charter aims: nightly rebuild {ratio:.2f}x the plain GROUP BY (aim <= 2x): "
        f"{'met' if ratio <= 2 else 'not met'}; fold of {NEW_DECLARATIONS:,} in {seconds:.3f} s (aim < 1 s): "
        f"{'met' if seconds < 1 else 'not met'}"
    )


if __name__ == "__main__":
    main()
