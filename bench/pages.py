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
   left open and escalated, recent ones new, assigned, verifying, concluded, some disputed). Each chunk
   is drawn with numpy and sent in binary COPY format built by numpy (no Python loop per row but for
   the cases); secondary indexes and unique constraints are built after the load;
3. publishes two CDCI years: the demo's survey of last year, computed and published by cdci.services,
   and the year before, the same snapshot inserted directly as an earlier campaign's publication;
4. rebuilds the rollups, runs VACUUM (ANALYZE) (statistics and the visibility map, as autovacuum keeps
   them in production);
5. starts gunicorn (2 sync workers, DEBUG off, the portal's settings plus a middleware that reports
   each response's query count in a header) and requests every page in interleaved rounds: each round
   requests each page once, as its role; three rounds warm up, --calls rounds are timed (p50/p95);
6. prints a table (scale, role, page, p50, p95, queries), then `pages within aim: k/n`. The aim: p95
   under 150 ms; with both scales, also no page slower at 10M than 1.2x its 1M p95.

`--reuse` keeps a database an earlier run generated and only times the pages (after migrating it, folding
the rollups and VACUUM (ANALYZE)): use it to measure a code change before and after. `--generate-only`
builds the databases and times nothing. It is a command, not a test; the machines
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

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
CHUNK = 250_000
AIM_MS = 150.0
# After a bulk load: statistics for the planner, and the visibility map that lets an index-only scan
# skip the table (a capped count of a busy business's declarations: 615 ms before, 8 ms after). A
# production database has both from autovacuum; a freshly COPYed one has neither.
VACUUM = "VACUUM (ANALYZE)"
GROWTH_AIM = 1.2
QUERY_HEADER = "X-Bench-Queries"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, help="one scale only (default: 1M then 10M)")
    parser.add_argument("--calls", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--reuse", action="store_true", help="time the pages of a database generated earlier")
    parser.add_argument("--generate-only", action="store_true", help="generate the databases, time nothing")
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


# --- binary COPY -------------------------------------------------------------------------------------
# The rows are drawn as numpy arrays and written in PostgreSQL's binary COPY format by numpy alone: text
# formatting (pandas' CSV writer, or a Python loop per row) cost more than the COPY itself at 10M ratings.

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
COPY_TRAILER = b"\xff\xff"
POSTGRES_EPOCH = 946_684_800  # 2000-01-01 UTC, where binary timestamps count from (in microseconds)


@dataclass
class Field:
    """One column of a binary COPY: each row's value length in bytes, and `take(rows, length)` giving the
    values of those rows (which all have that length) as a uint8 matrix, one row per row."""

    lengths: np.ndarray
    take: Callable[[np.ndarray, int], np.ndarray]


def _bytes_matrix(value: bytes, rows: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(value, dtype=np.uint8), (rows, len(value)))


def _fixed(values: np.ndarray, dtype: str) -> Field:
    matrix = np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(len(values), -1)
    return Field(np.full(len(values), matrix.shape[1]), lambda rows, _length: matrix[rows])


def bigint(values: np.ndarray) -> Field:
    return _fixed(values, ">i8")


def smallint(values: np.ndarray) -> Field:
    return _fixed(values, ">i2")


def boolean(values: np.ndarray) -> Field:
    return _fixed(values, "u1")


def timestamptz(seconds: np.ndarray) -> Field:
    return _fixed((seconds - POSTGRES_EPOCH) * 1_000_000, ">i8")


def constant(size: int, value: bytes) -> Field:
    return Field(np.full(size, len(value)), lambda rows, _length: _bytes_matrix(value, len(rows)))


def jsonb(size: int, text: str) -> Field:
    return constant(size, b"\x01" + text.encode())  # jsonb's binary form: version 1, then the text


def one_of(codes: np.ndarray, values: list[bytes]) -> Field:
    """Text taking one of a few values: `codes` index `values`."""
    table = np.zeros((len(values), max(len(value) for value in values)), dtype=np.uint8)
    for row, value in enumerate(values):
        table[row, : len(value)] = np.frombuffer(value, dtype=np.uint8)
    lengths = np.array([len(value) for value in values])[codes]
    return Field(lengths, lambda rows, length: table[codes[rows], :length])


def digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of each number, as a uint8 matrix (one row per number)."""
    matrix = np.empty((len(numbers), width), dtype=np.uint8)
    rest = numbers.astype(np.uint64)
    for column in range(width - 1, -1, -1):
        matrix[:, column] = rest % 10 + ord("0")
        rest //= 10
    return matrix


def text_digits(numbers: np.ndarray, width: int, prefix: bytes = b"", where: np.ndarray | None = None) -> Field:
    """`prefix` and the zero-padded number; an empty string for the rows outside `where`."""
    selected = np.ones(len(numbers), dtype=bool) if where is None else where

    def take(rows: np.ndarray, length: int) -> np.ndarray:
        if not length:
            return np.empty((len(rows), 0), dtype=np.uint8)
        return np.hstack([_bytes_matrix(prefix, len(rows)), digits(numbers[rows], width)])

    return Field(np.where(selected, len(prefix) + width, 0), take)


def binary_copy(fields: list[Field]) -> bytes:
    """The COPY ... (FORMAT binary) stream of the rows the fields describe, built with numpy only.

    Rows are grouped by shape (the lengths of their values; the few columns of varying length make a
    handful of shapes), and each group is one matrix assembled side by side from its columns: no loop
    over rows. Within a chunk, rows therefore reach the table grouped by shape, not in id order."""
    count = len(fields[0].lengths)
    varying = [field.lengths for field in fields if field.lengths.min(initial=0) != field.lengths.max(initial=0)]
    shape_key = np.zeros(count, dtype=np.int64)
    for lengths in varying:  # values of varying length are short: 1,000 bytes make a unique digit
        shape_key = shape_key * 1000 + lengths
    parts = [COPY_HEADER]
    for key in np.unique(shape_key):
        rows = np.flatnonzero(shape_key == key)
        blocks = [_bytes_matrix(len(fields).to_bytes(2, "big"), len(rows))]
        for field in fields:
            length = int(field.lengths[rows[0]])
            blocks.append(_bytes_matrix(length.to_bytes(4, "big"), len(rows)))
            if length:
                blocks.append(field.take(rows, length))
        parts.append(np.hstack(blocks).tobytes())
    parts.append(COPY_TRAILER)
    return b"".join(parts)


def copy_binary(cursor, table: str, columns: dict[str, Field]) -> None:
    cursor.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)",
        io.BytesIO(binary_copy(list(columns.values()))),
    )


LOADED_TABLES = (
    "feedback_declaration",
    "feedback_declarationofficer",
    "feedback_rating",
    "feedback_ratingofficer",
    "feedback_dissatisfactioncase",
)


def set_aside_indexes(cursor) -> list[str]:
    """Drop the secondary indexes and unique constraints of the loaded tables; returns the statements that
    recreate them. Maintaining a dozen B-trees row by row (random keys, 128 MB of shared buffers) cost
    most of a load; building each once afterwards, sorted, costs a fraction. Primary keys stay (ids
    arrive in order), and so do the CHECK constraints: every generated row is checked."""
    tables = list(LOADED_TABLES)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in constraints
    ]


def _levels(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.choice(np.array([3, 4, 5], dtype=np.int16), size=size, p=[10 / 95, 35 / 95, 50 / 95])


def generate(cursor, directory, ratings: int, now: datetime.datetime) -> dict[str, int]:
    """COPY declarations, officer links, ratings, officer ratings and cases; returns the counts.

    Each chunk is drawn as numpy arrays and sent in binary COPY format (binary_copy); only the cases (4%
    of the ratings) are built row by row, since each one's state follows a few branching rules. Chunks
    cover consecutive stretches of the 36 months, so ids follow clearance time as in production."""
    rng = np.random.default_rng(SEED)
    case_rng = random.Random(SEED)
    declarations = round(ratings / RATED_SHARE)
    team_ids = np.array([team for team, _branch in directory["teams"]], dtype=np.int64)
    branch_ids = np.array([branch for _team, branch in directory["teams"]], dtype=np.int64)
    # Each team's current officers, padded into one matrix: a declaration's officers are two lookups.
    rosters = [directory["members"][int(team)] for team in team_ids]
    roster_size = np.array([len(roster) for roster in rosters], dtype=np.int64)
    roster = np.zeros((len(rosters), roster_size.max()), dtype=np.int64)
    for row, officers in enumerate(rosters):
        roster[row, : len(officers)] = officers
    ranked = np.array(directory["ranked"], dtype=np.int64)
    business_weights = 1 / (np.arange(len(ranked)) + 20)
    business_weights /= business_weights.sum()
    channels = [b"green", b"yellow", b"red"]
    now_s = int(now.timestamp())
    start_s = now_s - int(MONTHS * 30.4 * 86400)
    span = now_s - start_s - 3 * 86400
    rater = directory["rater"]
    verifiers = directory["leaders_by_branch"]
    comment_prefix = "Góp ý về tờ khai ".encode()
    counts = dict.fromkeys(("declarations", "links", "ratings", "officer ratings", "cases"), 0)
    link_id = rating_officer_id = case_id = 0
    chunks = max(1, -(-declarations // CHUNK))
    for chunk in range(chunks):
        first = chunk * CHUNK + 1
        size = min(CHUNK, declarations + 1 - first)
        pk = np.arange(first, first + size, dtype=np.int64)
        low, high = span * chunk // chunks, span * (chunk + 1) // chunks
        registered = start_s + np.sort(rng.integers(low, high, size=size))
        cleared = registered + 60 * rng.integers(5, 2001, size=size)
        team_row = rng.integers(0, len(team_ids), size=size)
        team, branch = team_ids[team_row], branch_ids[team_row]
        business = ranked[rng.choice(len(ranked), size=size, p=business_weights)]
        copy_binary(
            cursor,
            "feedback_declaration",
            {
                "id": bigint(pk),
                "number": text_digits(pk, 12),
                "type_code": constant(size, b"A11"),
                "channel": one_of(rng.choice(3, size=size, p=[0.70, 0.22, 0.08]), channels),
                "business_id": bigint(business),
                "branch_id": bigint(branch),
                "team_id": bigint(team),
                "registered_at": timestamptz(registered),
                "cleared_at": timestamptz(cleared),
                "created_at": timestamptz(registered),
                "updated_at": timestamptz(cleared),
            },
        )
        # One officer of the team (60%) or two different ones.
        members = roster_size[team_row]
        first_pick = rng.integers(0, members)
        second_pick = (first_pick + 1 + rng.integers(0, np.maximum(members - 1, 1))) % members
        two = (rng.random(size) >= 0.6) & (members > 1)
        officer_1, officer_2 = roster[team_row, first_pick], roster[team_row, second_pick]
        order = np.argsort(np.concatenate([pk, pk[two]]), kind="stable")
        links = len(order)
        copy_binary(
            cursor,
            "feedback_declarationofficer",
            {
                "id": bigint(np.arange(link_id + 1, link_id + links + 1)),
                "declaration_id": bigint(np.concatenate([pk, pk[two]])[order]),
                "officer_id": bigint(np.concatenate([officer_1, officer_2[two]])[order]),
                "stage": constant(links, b"reception"),
                "team_id": bigint(np.concatenate([team, team[two]])[order]),
            },
        )
        link_id += links
        # 80% rated, 1 to 200 hours after clearance, before now.
        rated_at = cleared + 3600 * rng.integers(1, 201, size=size)
        rated = (rng.random(size) < RATED_SHARE) & (rated_at < now_s)
        branch_level, team_level = _levels(rng, size), _levels(rng, size)
        officer_1_level, officer_2_level = _levels(rng, size), _levels(rng, size)
        # A dissatisfied rating has one thing rated 1 or 2: the branch, the team or one of its officers.
        unhappy = rated & (rng.random(size) < DISSATISFIED_SHARE)
        which = np.floor(rng.random(size) * (3 + two)).astype(np.int64)
        low_level = rng.choice(np.array([1, 2], dtype=np.int16), size=size)
        for index, levels in enumerate((branch_level, team_level, officer_1_level, officer_2_level)):
            hit = unhappy & (which == index)
            levels[hit] = low_level[hit]
        commented = rng.random(size) < 0.06
        count = int(rated.sum())
        copy_binary(
            cursor,
            "feedback_rating",
            {
                "id": bigint(pk[rated]),
                "declaration_id": bigint(pk[rated]),
                "business_id": bigint(business[rated]),
                "submitted_by_id": bigint(np.full(count, rater)),
                "submitted_via": constant(count, b"api"),
                "branch_id": bigint(branch[rated]),
                "team_id": bigint(team[rated]),
                "branch_level": smallint(branch_level[rated]),
                "team_level": smallint(team_level[rated]),
                "branch_reasons": jsonb(count, "[]"),
                "team_reasons": jsonb(count, "[]"),
                "comment": text_digits(pk[rated], 12, comment_prefix, commented[rated]),
                "is_dissatisfied": boolean(unhappy[rated]),
                "created_at": timestamptz(rated_at[rated]),
            },
        )
        second = rated & two
        rating_of_row = np.concatenate([pk[rated], pk[second]])
        order = np.argsort(rating_of_row, kind="stable")
        officer_ratings = len(order)
        copy_binary(
            cursor,
            "feedback_ratingofficer",
            {
                "id": bigint(np.arange(rating_officer_id + 1, rating_officer_id + officer_ratings + 1)),
                "rating_id": bigint(rating_of_row[order]),
                "officer_id": bigint(np.concatenate([officer_1[rated], officer_2[second]])[order]),
                "team_id": bigint(np.concatenate([team[rated], team[second]])[order]),
                "level": smallint(np.concatenate([officer_1_level[rated], officer_2_level[second]])[order]),
                "reasons": jsonb(officer_ratings, "[]"),
            },
        )
        rating_officer_id += officer_ratings
        cases = []
        for index in np.flatnonzero(unhappy):
            case_id += 1
            kinds = [("branch", branch_level[index]), ("team", team_level[index]), ("officer", officer_1_level[index])]
            if two[index]:
                kinds.append(("officer", officer_2_level[index]))
            items = _items(case_rng, [(kind, int(level)) for kind, level in kinds if level <= 2])
            row_branch = int(branch[index])
            cases.append(
                case_line(
                    case_rng,
                    case_id,
                    int(pk[index]),
                    row_branch,
                    int(team[index]),
                    int(business[index]),
                    datetime.datetime.fromtimestamp(int(rated_at[index]), tz=datetime.UTC),
                    now,
                    verifiers[row_branch],
                    items,
                )
            )
        copy_rows(cursor, "feedback_dissatisfactioncase", CASE_COLUMNS, cases)
        for name, added in zip(counts, (size, links, count, officer_ratings, len(cases)), strict=True):
            counts[name] += added
        print(f"  {first + size - 1:,}/{declarations:,} declarations", flush=True)
    for table in LOADED_TABLES:
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
        recreate = set_aside_indexes(cursor)
        counts = generate(cursor, directory, ratings, until)
    print(
        f"COPY in {time.perf_counter() - step:.0f} s: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()),
        flush=True,
    )
    step = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # each index sorted in memory
        for statement in recreate:
            cursor.execute(statement)
    print(f"{len(recreate)} indexes and unique constraints built: {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    publish_cdci(directory["department"], directory["users"]["staff"], anchor)
    print(f"CDCI published (two years): {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    rebuild_rollups(lag_seconds=0)
    print(f"rollups: {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(VACUUM)
    print(f"VACUUM (ANALYZE): {time.perf_counter() - step:.0f} s", flush=True)
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

            from reports.rollups import fold_rollups

            call_command("migrate", verbosity=0, interactive=False)
            fold_rollups(lag_seconds=0)  # rollups a newer migration added start from what is there
            with connection.cursor() as cursor:
                cursor.execute(VACUUM)
        else:
            build(url, ratings)
        if args.generate_only:
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM feedback_rating")
            rating_count = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM feedback_dissatisfactioncase")
            case_count = cursor.fetchone()[0]
        print(f"{name}: {rating_count:,} ratings, {case_count:,} cases; timing pages", flush=True)
        results[ratings] = time_pages(url, secret_key, args.calls)
    if results:
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
                f"{ratings / 1e6:>7g}M  {row['role']:12} {row['page'][:40]:40} {row['p50']:7.0f} {row['p95']:7.0f} "
                f"{row['queries']:7}  {'ok' if ok else note.strip()}"
            )
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    print(f"pages within aim: {within}/{total}")


if __name__ == "__main__":
    sys.exit(main())
