"""Folding ratings and cleared declarations into the rollup tables (reports.models), in the database.

Two entry points share one code path:

- `fold_rollups()` (the Celery beat task, every minute) adds what is new since the watermarks:
  ratings with lo < id <= hi, declarations likewise (a declaration not yet cleared waits in
  PendingClearance and is counted when its clearance arrives), and rating corrections not yet folded;
  and the dissatisfaction cases opened or changed since (reports.case_rollups); the businesses counted
  per run of months gain what the new presence bits add (reports.presence_counts).
- `rebuild_rollups()` (the management command, and nightly) empties the tables and runs the same fold
  from watermark 0, in one transaction.

Every figure is an INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE that adds counts, written
once for PostgreSQL and SQLite (both speak this dialect; only the local-month expression differs).
See docs/measures.md for why the month is the clearance month and how late commits are handled.
"""

import datetime
import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from directory.models import Officer

from .case_rollups import fold_cases
from .models import (
    BusinessPresence,
    CaseRollup,
    FoldedCorrection,
    PendingClearance,
    PresenceCount,
    RatingRollup,
    RollupState,
    UnitKind,
)
from .presence_counts import add_changes, count_all

logger = logging.getLogger(__name__)

LEVELS = (1, 2, 3, 4, 5)
LEVEL_COLUMNS = ", ".join(f"level_{level}" for level in LEVELS)
SERIALIZATION_FAILURE = "40001"
FOLD_WORK_MEM = "128MB"
LOCK_NOT_AVAILABLE = "55P03"

DEPARTMENT, BRANCH, TEAM, OFFICER = (int(kind) for kind in UnitKind)


@dataclass(frozen=True)
class FoldResult:
    """What one fold took in: the id ranges (lo, hi] of ratings and declarations, and the corrections."""

    ratings_from: int = 0
    ratings_to: int = 0
    declarations_from: int = 0
    declarations_to: int = 0
    corrections_applied: int = 0
    corrections_included: int = 0
    case_keys: int = 0  # (branch, month) keys of the case rollup recomputed; -1: all of them
    skipped: bool = False

    @property
    def folded_anything(self) -> bool:
        return (
            self.ratings_to > self.ratings_from
            or self.declarations_to > self.declarations_from
            or self.corrections_applied > 0
            or self.corrections_included > 0
            or self.case_keys != 0
        )


# --- SQL -------------------------------------------------------------------------------------------


def _month(column: str) -> tuple[str, list]:
    """The first day of the local month (TIME_ZONE) of a timestamp column, as SQL and its parameters."""
    if connection.vendor == "postgresql":
        return f"(date_trunc('month', {column} AT TIME ZONE %s))::date", [settings.TIME_ZONE]
    # Django registers django_datetime_trunc on every SQLite connection; stored times are UTC.
    return f"date(django_datetime_trunc('month', {column}, %s, 'UTC'))", [settings.TIME_ZONE]


def _year_and_bit(column: str) -> tuple[str, str]:
    """The year of a month column (a first-of-month date), and the bit of its month (1 << (month - 1))."""
    if connection.vendor == "postgresql":
        return (
            f"CAST(EXTRACT(YEAR FROM {column}) AS integer)",
            f"(1 << (CAST(EXTRACT(MONTH FROM {column}) AS integer) - 1))",
        )
    return f"CAST(substr({column}, 1, 4) AS integer)", f"(1 << (CAST(substr({column}, 6, 2) AS integer) - 1))"


def _upsert(table: str, key: str, columns: str, added: tuple[str, ...]) -> str:
    """INSERT INTO table (columns) <select> ON CONFLICT (key) DO UPDATE adding the `added` columns."""
    assignments = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in added)
    return f"INSERT INTO {table} ({columns}) {{select}} ON CONFLICT ({key}) DO UPDATE SET {assignments}"


ROLLUP_TABLE = "reports_ratingrollup"
ROLLUP_KEY = "unit_kind, unit_id, month, channel"
ROLLUP_COLUMNS = f"{ROLLUP_KEY}, cleared, rated, {LEVEL_COLUMNS}"
PRESENCE_TABLE = "reports_businesspresence"
PRESENCE_KEY = "unit_kind, unit_id, year, business_id"
PRESENCE_COLUMNS = f"{PRESENCE_KEY}, cleared_months, rated_months"
# Merge month masks with a bitwise OR; a key whose masks gain no bit is not rewritten (most keys of a
# fold: a business already seen this month), so a fold writes only what is new.
PRESENCE_MERGE = (
    f"ON CONFLICT ({PRESENCE_KEY}) DO UPDATE SET "
    f"cleared_months = {PRESENCE_TABLE}.cleared_months | excluded.cleared_months, "
    f"rated_months = {PRESENCE_TABLE}.rated_months | excluded.rated_months "
    f"WHERE ({PRESENCE_TABLE}.cleared_months | excluded.cleared_months) <> {PRESENCE_TABLE}.cleared_months "
    f"OR ({PRESENCE_TABLE}.rated_months | excluded.rated_months) <> {PRESENCE_TABLE}.rated_months"
)


def _levels_of(column: str | None) -> str:
    """Five columns l1..l5: `n` in the column of the level held in `column`, 0 elsewhere (or all 0)."""
    if column is None:
        return ", ".join(f"0 AS l{level}" for level in LEVELS)
    return ", ".join(f"CASE WHEN {column} = {level} THEN n ELSE 0 END AS l{level}" for level in LEVELS)


def _fresh_declarations(lo: int, hi: int) -> tuple[str, list]:
    """The declarations to count now: cleared ones with lo < id <= hi, and the pending ones (ids <= lo)
    whose clearance has arrived since an earlier fold."""
    month, month_params = _month("d.cleared_at")
    columns = (
        "d.id AS id, d.branch_id AS branch_id, d.team_id AS team_id, d.business_id AS business_id, "
        f"d.channel AS channel, {month} AS month"
    )
    sql = (
        f"SELECT {columns} FROM feedback_declaration d WHERE d.cleared_at IS NOT NULL AND d.id > %s AND d.id <= %s "
        f"UNION ALL SELECT {columns} FROM feedback_declaration d "
        "JOIN reports_pendingclearance p ON p.declaration_id = d.id WHERE d.cleared_at IS NOT NULL"
    )
    return sql, [*month_params, lo, hi, *month_params]


# New rows are written in key order (ORDER BY in each INSERT): after a rebuild, the rows a dashboard reads
# (one unit's businesses of a year, one unit's months) sit together on a few pages instead of one page per
# row (a department's presence of a year: ~90 pages instead of 6,000 at a million ratings).


def _fold_statements(rating_lo: int, rating_hi: int, declaration_lo: int, declaration_hi: int):
    """The fold as three parts: level and cleared counts; business presence (the new bits as WITH clauses,
    the merge that follows them, their parameters); pending clearances.

    New declarations and new ratings go into one upsert per table, so a key touched by both is written
    once. Each source is grouped once down to a small grain (branch, team, month, channel[, levels]);
    the branch, team and department rows are read from that grain, the officer rows from their own
    join. Officers have no presence rows: participation is a unit's figure (docs/measures.md).
    """
    month, month_params = _month("d.cleared_at")
    fresh, fresh_params = _fresh_declarations(declaration_lo, declaration_hi)
    rating_params = [*month_params, rating_lo, rating_hi]
    ratings = (
        "FROM feedback_rating r JOIN feedback_declaration d ON d.id = r.declaration_id WHERE r.id > %s AND r.id <= %s"
    )
    rating_officers = (
        "FROM feedback_ratingofficer ro JOIN feedback_rating r ON r.id = ro.rating_id "
        "JOIN feedback_declaration d ON d.id = r.declaration_id "
        "WHERE ro.rating_id > %s AND ro.rating_id <= %s AND r.id > %s AND r.id <= %s"
    )
    declaration_grain = f"SELECT branch_id, team_id, channel, month, COUNT(*) AS n FROM ({fresh}) f GROUP BY 1, 2, 3, 4"
    # An officer may handle two stages of one declaration: count the declaration once.
    declaration_officers = (
        "SELECT l.officer_id AS unit_id, f.channel AS channel, f.month AS month, COUNT(DISTINCT f.id) AS n "
        f"FROM ({fresh}) f JOIN feedback_declarationofficer l ON l.declaration_id = f.id GROUP BY 1, 2, 3"
    )
    rating_grain = (
        f"SELECT r.branch_id AS branch_id, r.team_id AS team_id, d.channel AS channel, {month} AS month, "
        f"r.branch_level AS branch_level, r.team_level AS team_level, COUNT(*) AS n {ratings} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    rated_officers = (
        f"SELECT ro.officer_id AS unit_id, d.channel AS channel, {month} AS month, ro.level AS level, COUNT(*) AS n "
        f"{rating_officers} GROUP BY 1, 2, 3, 4"
    )
    no_levels = _levels_of(None)
    units = " UNION ALL ".join(
        [
            f"SELECT {BRANCH} AS unit_kind, branch_id AS unit_id, month, channel, n AS cleared, 0 AS rated, "
            f"{no_levels} FROM dgrain",
            f"SELECT {DEPARTMENT}, b.department_id, month, channel, n, 0, {no_levels} "
            "FROM dgrain g JOIN directory_branch b ON b.id = g.branch_id",
            f"SELECT {TEAM}, team_id, month, channel, n, 0, {no_levels} FROM dgrain WHERE team_id IS NOT NULL",
            f"SELECT {OFFICER}, unit_id, month, channel, n, 0, {no_levels} FROM ({declaration_officers}) o",
            f"SELECT {BRANCH}, branch_id, month, channel, 0, n, {_levels_of('branch_level')} FROM rgrain",
            f"SELECT {DEPARTMENT}, b.department_id, month, channel, 0, n, {_levels_of('branch_level')} "
            "FROM rgrain g JOIN directory_branch b ON b.id = g.branch_id",
            f"SELECT {TEAM}, team_id, month, channel, 0, n, {_levels_of('team_level')} FROM rgrain "
            "WHERE team_id IS NOT NULL",
            f"SELECT {OFFICER}, unit_id, month, channel, 0, n, {_levels_of('level')} FROM ({rated_officers}) o",
        ]
    )
    level_sums = ", ".join(f"SUM(l{level})" for level in LEVELS)
    counts = f"WITH dgrain AS ({declaration_grain}), rgrain AS ({rating_grain}), units AS ({units}) " + _upsert(
        ROLLUP_TABLE, ROLLUP_KEY, ROLLUP_COLUMNS, ("cleared", "rated", *(f"level_{level}" for level in LEVELS))
    ).format(
        select=f"SELECT unit_kind, unit_id, month, channel, SUM(cleared), SUM(rated), {level_sums} FROM units "
        f"GROUP BY unit_kind, unit_id, month, channel ORDER BY {ROLLUP_KEY}"
    )
    counts_params = [*fresh_params, *rating_params, *fresh_params, *rating_params, rating_lo, rating_hi]

    presence_units = " UNION ALL ".join(
        f"SELECT {kind} AS unit_kind, {unit} AS unit_id, year, business_id, cleared, rated FROM grain g{join}{where}"
        for kind, unit, join, where in (
            (BRANCH, "g.branch_id", "", ""),
            (DEPARTMENT, "b.department_id", " JOIN directory_branch b ON b.id = g.branch_id", ""),
            (TEAM, "g.team_id", "", " WHERE g.team_id IS NOT NULL"),
        )
    )
    year, bit = _year_and_bit("month")
    # Cleared declarations and ratings meet in one grain (branch, team, business, year) with their month
    # masks OR-ed together, before it is spread over the three unit levels. Grouping by year, not month,
    # keeps the grain a twelfth of the size (SQLite gets BIT_OR from reports.apps).
    units_ctes = (
        f"WITH grain AS (SELECT branch_id, team_id, business_id, {year} AS year, BIT_OR(cleared * {bit}) AS cleared, "
        f"BIT_OR(rated * {bit}) AS rated FROM (SELECT branch_id, team_id, business_id, month, 1 AS cleared, 0 AS rated "
        f"FROM ({fresh}) f UNION ALL SELECT r.branch_id, r.team_id, r.business_id, {month}, 0, 1 {ratings}) a "
        f"GROUP BY branch_id, team_id, business_id, {year}), units AS ({presence_units})"
    )
    merge = (
        f"INSERT INTO {PRESENCE_TABLE} ({PRESENCE_COLUMNS}) "
        "SELECT unit_kind, unit_id, year, business_id, BIT_OR(cleared), BIT_OR(rated) FROM units "
        f"GROUP BY unit_kind, unit_id, year, business_id ORDER BY {PRESENCE_KEY} {PRESENCE_MERGE}"
    )
    presence_params = [*fresh_params, *rating_params]
    pending = [
        # Counted now: no longer pending.
        (
            "DELETE FROM reports_pendingclearance WHERE declaration_id IN ("
            "SELECT d.id FROM feedback_declaration d JOIN reports_pendingclearance p ON p.declaration_id = d.id "
            "WHERE d.cleared_at IS NOT NULL)",
            [],
        ),
        (
            "INSERT INTO reports_pendingclearance (declaration_id) SELECT d.id FROM feedback_declaration d "
            "WHERE d.cleared_at IS NULL AND d.id > %s AND d.id <= %s",
            [declaration_lo, declaration_hi],
        ),
    ]
    return (counts, counts_params), (units_ctes, merge, presence_params), pending


# --- corrections -------------------------------------------------------------------------------


def _fold_corrections(cursor, lo: int, hi: int) -> tuple[int, int]:
    """Reflect the rating corrections not yet folded; returns (applied as deltas, already included).

    A correction of a rating folded by an earlier fold (id <= lo) is replayed from its [old, new]
    values as -1/+1 on the level counts; one of a rating folded now (lo < id <= hi) is already in the
    values just read, in the same snapshot, so it is only marked. Corrections of ratings beyond hi wait.
    Corrections are rare administrator acts: this loops over them, never over ratings.
    """
    month, month_params = _month("d.cleared_at")
    cursor.execute(
        "SELECT c.id, c.rating_id, c.changes, r.branch_id, b.department_id, r.team_id, d.channel, "
        f"{month} FROM feedback_ratingcorrection c JOIN feedback_rating r ON r.id = c.rating_id "
        "JOIN feedback_declaration d ON d.id = r.declaration_id JOIN directory_branch b ON b.id = r.branch_id "
        "WHERE c.rating_id <= %s AND NOT EXISTS "
        "(SELECT 1 FROM reports_foldedcorrection f WHERE f.correction_id = c.id) ORDER BY c.id",
        [*month_params, hi],
    )
    rows = cursor.fetchall()
    if not rows:
        return 0, 0
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(LEVELS))
    officer_changes: list[tuple[str, tuple, object, object]] = []

    def move(key: tuple, old, new) -> None:
        if old is not None:
            deltas[key][int(old) - 1] -= 1
        if new is not None:
            deltas[key][int(new) - 1] += 1

    applied = 0
    for _id, rating_id, changes, branch_id, department_id, team_id, channel, month_value in rows:
        if rating_id > lo:
            continue  # folded in this very fold with its corrected values
        applied += 1
        changes = json.loads(changes) if isinstance(changes, str) else changes
        for field, (old, new) in changes.items():
            if field == "branch_level":
                move((BRANCH, branch_id, month_value, channel), old, new)
                move((DEPARTMENT, department_id, month_value, channel), old, new)
            elif field == "team_level" and team_id is not None:
                move((TEAM, team_id, month_value, channel), old, new)
            elif field.startswith("officer:"):
                officer_changes.append((field.removeprefix("officer:"), (month_value, channel), old, new))
    if officer_changes:
        ids = dict(
            Officer.objects.filter(code__in={code for code, *_rest in officer_changes}).values_list("code", "id")
        )
        for code, (month_value, channel), old, new in officer_changes:
            if code in ids:
                move((OFFICER, ids[code], month_value, channel), old, new)
            else:  # the officer's code changed since: only a rebuild can place it
                logger.warning("rollups: correction of officer %s not replayed (unknown code)", code)
    if deltas:
        added = tuple(f"level_{level}" for level in LEVELS)
        statement = _upsert(ROLLUP_TABLE, ROLLUP_KEY, ROLLUP_COLUMNS, added).format(
            select="VALUES (%s, %s, %s, %s, 0, 0, %s, %s, %s, %s, %s)"
        )
        cursor.executemany(statement, [[*key, *delta] for key, delta in deltas.items()])
    cursor.executemany("INSERT INTO reports_foldedcorrection (correction_id) VALUES (%s)", [[row[0]] for row in rows])
    return applied, len(rows) - applied


# --- the fold ----------------------------------------------------------------------------------


def _upper_bound(cursor, table: str, lo: int, cutoff: datetime.datetime) -> int:
    """The highest id created before `cutoff` above `lo` (or lo).

    Ids come from a sequence at INSERT and commits can land out of order; a row whose id is below one
    created `lag` ago has committed by now, as long as a transaction lasts less than half the lag.
    """
    cursor.execute(f"SELECT MAX(id) FROM {table} WHERE id > %s AND created_at <= %s", [lo, cutoff])
    found = cursor.fetchone()[0]
    return found if found is not None else lo


def _fold(state, cutoff: datetime.datetime, *, rebuild: bool = False) -> FoldResult:
    with connection.cursor() as cursor:
        rating_lo, declaration_lo = state.rating_watermark, state.declaration_watermark
        rating_hi = _upper_bound(cursor, "feedback_rating", rating_lo, cutoff)
        declaration_hi = _upper_bound(cursor, "feedback_declaration", declaration_lo, cutoff)
        if rating_hi > rating_lo or declaration_hi > declaration_lo or _has_pending(cursor):
            counts, (units_ctes, merge, presence_params), pending = _fold_statements(
                rating_lo, rating_hi, declaration_lo, declaration_hi
            )
            cursor.execute(*counts)
            if not rebuild:  # before the merge: it compares the new bits with the masks as they are
                add_changes(cursor, units_ctes, presence_params)
            cursor.execute(f"{units_ctes} {merge}", presence_params)
            for statement in pending:
                cursor.execute(*statement)
            if rebuild:
                count_all(cursor)
        applied, included = _fold_corrections(cursor, rating_lo, rating_hi)
    cases = fold_cases(state, cutoff, rebuild=rebuild)
    state.rating_watermark, state.declaration_watermark = rating_hi, declaration_hi
    state.folded_at = timezone.now()
    state.save(
        update_fields=[
            "rating_watermark",
            "declaration_watermark",
            "case_watermark",
            "case_event_watermark",
            "folded_at",
        ]
    )
    return FoldResult(rating_lo, rating_hi, declaration_lo, declaration_hi, applied, included, cases.keys)


def _has_pending(cursor) -> bool:
    cursor.execute("SELECT 1 FROM reports_pendingclearance LIMIT 1")
    return cursor.fetchone() is not None


@contextmanager
def _snapshot_transaction():
    """One transaction that reads one snapshot (REPEATABLE READ on PostgreSQL).

    The fold reads ratings, pending declarations and corrections in several statements; with one
    snapshot a correction or clearance committed between two of them cannot be counted twice or lost.
    Inside an outer transaction (tests) the isolation level is the outer one's.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # The grouping by business spills to disk at the default 4 MB; one fold at a time runs.
                cursor.execute(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'")
                # The planner's cost of these statements triggers JIT compilation, which costs 0.1 s in
                # a fold of 10,000 ratings and 1.5 s per statement in a rebuild, for no gain here.
                cursor.execute("SET LOCAL jit = off")
        yield


def _is_concurrent_fold(error: OperationalError) -> bool:
    """Another fold holds or has just changed the state row. Nothing of ours is written: the atomic
    block rolled back."""
    if connection.vendor == "sqlite":
        return "locked" in str(error)
    return getattr(error.__cause__, "pgcode", None) in (SERIALIZATION_FAILURE, LOCK_NOT_AVAILABLE)


def _state_row():
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects


def _cutoff(now: datetime.datetime | None, lag_seconds: float | None) -> datetime.datetime:
    lag = settings.ROLLUP_SAFETY_LAG_SECONDS if lag_seconds is None else lag_seconds
    return (now or timezone.now()) - datetime.timedelta(seconds=lag)


def fold_rollups(*, now: datetime.datetime | None = None, lag_seconds: float | None = None) -> FoldResult:
    """Fold what is new since the watermarks. If another fold or a rebuild holds the state row, do
    nothing (it is folding the same rows): running twice, or in two workers at once, adds nothing more."""
    cutoff = _cutoff(now, lag_seconds)
    try:
        states = _state_row()
        with _snapshot_transaction():
            if connection.vendor == "sqlite":  # no row locks: take the database's write lock first
                states.filter(pk=1).update(folded_at=F("folded_at"))
            state = states.select_for_update(skip_locked=True).filter(pk=1).first()
            if state is None:
                return FoldResult(skipped=True)
            return _fold(state, cutoff)
    except OperationalError as error:
        if _is_concurrent_fold(error):  # the state row changed after our snapshot began: another fold won
            return FoldResult(skipped=True)
        raise


def rebuild_rollups(*, now: datetime.datetime | None = None, lag_seconds: float | None = None) -> FoldResult:
    """Recompute every rollup row from the ratings, declarations and corrections, in one transaction.

    Readers keep seeing the old rows until the commit (DELETE, not TRUNCATE, so dashboards never wait).
    Waits for a running fold; retried when one commits under it.
    """
    states = _state_row()
    for attempt in range(5):
        try:
            with _snapshot_transaction():
                state = states.select_for_update().get(pk=1)
                with connection.cursor() as cursor:
                    for model in (
                        RatingRollup,
                        BusinessPresence,
                        PresenceCount,
                        PendingClearance,
                        FoldedCorrection,
                        CaseRollup,
                    ):
                        cursor.execute(f"DELETE FROM {model._meta.db_table}")
                state.rating_watermark = state.declaration_watermark = 0
                state.case_watermark = state.case_event_watermark = 0
                result = _fold(state, _cutoff(now, lag_seconds), rebuild=True)
                state.rebuilt_at = state.folded_at
                state.save(update_fields=["rebuilt_at"])
                if connection.vendor == "postgresql":  # the planner must know the new row counts at once
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "ANALYZE reports_ratingrollup, reports_businesspresence, reports_presencecount, "
                            "reports_caserollup"
                        )
                return result
        except OperationalError as error:
            if not _is_concurrent_fold(error) or attempt == 4:
                raise
    raise AssertionError("unreachable")
