"""Folding cleared declarations into the charter compliance rollups (charter.models), in the database.

Two steps, both in SQL:
- timing: each cleared declaration's three durations are computed once and stored (DeclarationTiming);
- counting: timings are counted into histograms per unit, month, commitment and bucket, and those
  beyond the department's limit are kept one by one (Overrun).

Entry points, like reports.rollups:
- `fold_compliance()` (beat, every minute) times and counts the declarations created since the
  watermark that are cleared, and those waiting in PendingDeclaration whose clearance has arrived since;
- `rebuild_compliance()` (nightly and `manage.py rebuild_charter`) re-times the declarations the
  clearance system sent again since the last rebuild, then counts every stored timing again under
  today's limits, in one transaction. When a department calendar changed since the timings were
  computed (or with `--retime`), it empties everything and times every declaration again: the slow
  path, taken only after staff edit a calendar.
Durations are computed in SQL, not in Python: each department's calendar is a table of local days
carrying the working seconds before the day (charter.calendar), so the working time between two
timestamps is W(end) - W(start), each W one equality join on (department, local day number) plus
arithmetic on the time of day. A per-row Python loop over millions of declarations (or loading them
into pandas, 13-42 s per 10 million rows on these machines) would cost far more than the GROUP BY.
Each measured duration is counted in a histogram bucket (charter.buckets) per unit and month, so
medians and 90th percentiles over any period are read from summed buckets; those beyond the
department's limit are also kept one by one (Overrun) for the leaders' worst-case lists.

Measuring points: registration = received -> registered, elapsed minutes; document check =
registered -> document check done, working time; physical inspection = document check done (or
registered) -> inspection done, working time. Limits come from the department's CharterCommitment at
counting time (minutes x 60, working hours x 3,600, working days x the department's working day); a
changed limit or calendar reaches past months at the next rebuild.
"""

import datetime
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from directory.choices import CharterCode, CharterUnit
from directory.models import CharterCommitment, Department

from . import calendar
from .buckets import bucket_sql
from .choices import DECLARATION_COMMITMENTS, Level
from .models import CharterState, ComplianceHistogram, DeclarationTiming, Overrun, PendingDeclaration

HISTOGRAM = ComplianceHistogram._meta.db_table
OVERRUN = Overrun._meta.db_table
TIMING = DeclarationTiming._meta.db_table
PENDING = PendingDeclaration._meta.db_table
WORKING_DAY = "charter_workingday"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
FOLD_WORK_MEM = "256MB"
DAY = 86_400
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class FoldResult:
    declarations_from: int = 0
    declarations_to: int = 0
    skipped: bool = False


# --- SQL -------------------------------------------------------------------------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _month(column: str) -> tuple[str, list]:
    """The first day of the local month of a timestamp column (as reports.rollups counts months)."""
    if _postgres():
        return f"(date_trunc('month', {column} AT TIME ZONE %s))::date", [settings.TIME_ZONE]
    return f"date(django_datetime_trunc('month', {column}, %s, 'UTC'))", [settings.TIME_ZONE]


def _local_epoch(column: str) -> str:
    """Seconds since 1970-01-01 00:00 local time (UTC+7): local day = value / 86400, time of day = value % 86400."""
    if _postgres():
        return f"(floor(date_part('epoch', {column}))::bigint + {calendar.LOCAL_OFFSET_SECONDS})"
    return f"(CAST(strftime('%%s', {column}) AS integer) + {calendar.LOCAL_OFFSET_SECONDS})"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _postgres() else f"MAX({a}, {b})"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if _postgres() else f"MIN({a}, {b})"


def _working_clock(day: str, epoch: str) -> str:
    """W(t): the department's working seconds from the calendar's first day up to the moment `epoch`,
    read from its WorkingDay row `day` (NULL when the day is outside the calendar)."""
    tod = f"({epoch} %% {DAY})"  # %% : the statement has parameters
    session = (
        f"{_greatest('0', _least(tod, f'{day}.morning_end') + f' - {day}.morning_start')} + "
        f"{_greatest('0', _least(tod, f'{day}.afternoon_end') + f' - {day}.afternoon_start')}"
    )
    return f"({day}.before_seconds + {session})"


def _day_seconds() -> str:
    """SQL: the length of the department's (`dep`) working day in seconds, from its two sessions."""
    if _postgres():
        return (
            "EXTRACT(EPOCH FROM (dep.morning_ends - dep.morning_starts) + (dep.afternoon_ends - dep.afternoon_starts))"
        )
    return (
        "(strftime('%%s', dep.morning_ends) - strftime('%%s', dep.morning_starts) "
        "+ strftime('%%s', dep.afternoon_ends) - strftime('%%s', dep.afternoon_starts))"
    )


def _limit_seconds() -> str:
    """SQL: the commitment's (`l`) limit in seconds: minutes x 60, working hours x 3,600, working days x the
    department's working day. Read from the commitments table itself, whose statistics tell the planner
    how many rows the join makes (a list of constants made it guess 1% of them and sort instead of hash)."""
    return (
        f"CAST(l.\"limit\" AS bigint) * CAST(CASE l.unit WHEN '{CharterUnit.MINUTES}' THEN 60 "
        f"WHEN '{CharterUnit.WORKING_HOURS}' THEN 3600 ELSE {_day_seconds()} END AS bigint)"
    )


def _timed(source: str) -> tuple[str, list]:
    """SELECT one DeclarationTiming row per declaration of `source` (a query of declarations `d` joined to
    their branch `b`, selecting `{columns}`): the three durations, computed once per declaration in SQL."""
    month, month_params = _month("s.cleared_at")
    columns = (
        "d.id, d.branch_id, d.team_id, b.department_id, d.cleared_at, "
        f"{_local_epoch('d.received_at')} AS e_received, {_local_epoch('d.registered_at')} AS e_registered, "
        f"{_local_epoch('d.document_check_done_at')} AS e_document, "
        f"{_local_epoch('d.inspection_done_at')} AS e_inspection"
    )
    w_registered = _working_clock("c_reg", "s.e_registered")
    w_document = _working_clock("c_doc", "s.e_document")
    w_inspection = _working_clock("c_insp", "s.e_inspection")
    sql = (
        f"SELECT s.id, s.department_id, s.branch_id, s.team_id, {month} AS month, "
        "s.e_registered - s.e_received AS registration, "
        f"{w_document} - {w_registered} AS document_check, "
        f"{w_inspection} - CASE WHEN s.e_document IS NULL THEN {w_registered} ELSE {w_document} END "
        "AS physical_inspection "
        f"FROM ({source.format(columns=columns)}) s "
        + " ".join(
            f"LEFT JOIN {WORKING_DAY} {alias} "
            f"ON {alias}.department_id = s.department_id AND {alias}.day = s.{epoch} / {DAY}"
            for alias, epoch in (("c_reg", "e_registered"), ("c_doc", "e_document"), ("c_insp", "e_inspection"))
        )
    )
    return sql, month_params


def _insert_timings(source: str, params: list) -> tuple[str, list]:
    """INSERT the timings of the cleared declarations of `source` that have a measurable stage."""
    timed, month_params = _timed(source)
    columns = (
        "declaration_id, department_id, branch_id, team_id, month, registration, document_check, physical_inspection"
    )
    sql = (
        f"INSERT INTO {TIMING} ({columns}) SELECT * FROM ({timed}) t "
        "WHERE t.registration IS NOT NULL OR t.document_check IS NOT NULL OR t.physical_inspection IS NOT NULL"
    )
    return sql, [*month_params, *params]


JOINED = "FROM feedback_declaration d JOIN directory_branch b ON b.id = d.branch_id"
# The declarations a fold measures: those created since the watermark, and the waiting ones cleared since.
FRESH = (
    f"SELECT {{columns}} {JOINED} WHERE d.cleared_at IS NOT NULL AND d.id > %s AND d.id <= %s "
    f"UNION ALL SELECT {{columns}} {JOINED} JOIN charter_pendingdeclaration p ON p.declaration_id = d.id "
    "WHERE d.cleared_at IS NOT NULL"
)
# Declarations measured before and sent again since `retimed_through` (the partial declaration_changed_idx).
CHANGED = (
    "SELECT d.id FROM feedback_declaration d WHERE d.updated_at > d.created_at AND d.updated_at > %s AND d.id <= %s "
    "AND NOT EXISTS (SELECT 1 FROM charter_pendingdeclaration p WHERE p.declaration_id = d.id)"
)
CHANGED_IDS = "SELECT id FROM charter_changed"


def _measured(where: str, timings: str = TIMING) -> str:
    """One row per measured duration of the stored timings (`timings`: the table, or a subquery of it)
    matching `where` (over `t`): (declaration, department, branch, team, month, commitment, seconds,
    limit_seconds)."""
    seconds = (
        f"CASE l.code WHEN '{CharterCode.REGISTRATION}' THEN t.registration "
        f"WHEN '{CharterCode.DOCUMENT_CHECK}' THEN t.document_check ELSE t.physical_inspection END"
    )
    codes = ", ".join(f"'{code}'" for code in DECLARATION_COMMITMENTS)
    return (
        "SELECT t.declaration_id, t.department_id, t.branch_id, t.team_id, t.month, l.code AS commitment, "
        f"{seconds} AS seconds, {_limit_seconds()} AS limit_seconds FROM {timings} t "
        "JOIN directory_chartercommitment l ON l.department_id = t.department_id "
        "JOIN directory_department dep ON dep.id = t.department_id "
        f"WHERE l.code IN ({codes}) AND {seconds} IS NOT NULL AND ({where})"
    )


def _grain(source: str) -> str:
    """The durations of `source` counted per team (or branch without a team), month, commitment and bucket."""
    return (
        f"SELECT department_id, branch_id, team_id, month, commitment, {bucket_sql('seconds')} AS bucket, "
        "COUNT(*) AS measured, SUM(CASE WHEN seconds <= limit_seconds THEN 1 ELSE 0 END) AS within "
        f"FROM {source} GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _upsert_histogram(grain: str) -> str:
    """Add the grain rows (a table or CTE named `grain`) to the histogram, at the three unit levels."""
    units = " UNION ALL ".join(
        f"SELECT commitment, {level} AS level, {unit} AS unit_id, month, bucket, measured, within FROM {grain}{where}"
        for level, unit, where in (
            (Level.DEPARTMENT, "department_id", ""),
            (Level.BRANCH, "branch_id", ""),
            (Level.TEAM, "team_id", " WHERE team_id IS NOT NULL"),
        )
    )
    key = "level, unit_id, month, commitment, bucket"
    return (
        f"INSERT INTO {HISTOGRAM} ({key}, measured, within) "
        f"SELECT {key}, SUM(measured), SUM(within) FROM ({units}) u GROUP BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET measured = {HISTOGRAM}.measured + excluded.measured, "
        f"within = {HISTOGRAM}.within + excluded.within"
    )


def _insert_overruns(source: str) -> str:
    return (
        f"INSERT INTO {OVERRUN} (declaration_id, commitment, department_id, branch_id, team_id, month, seconds, "
        "limit_seconds) SELECT declaration_id, commitment, department_id, branch_id, team_id, month, seconds, "
        f"limit_seconds FROM {source} WHERE seconds > limit_seconds ON CONFLICT (declaration_id, commitment) DO NOTHING"
    )


def _count_statements(where: str, params: list, timings: str = TIMING) -> list[tuple[str, list]]:
    """Add the stored timings (`timings`) matching `where` to the histogram and the overruns.

    On PostgreSQL one statement reads the timings once (a MATERIALIZED CTE) and feeds both the overruns
    (a data-modifying CTE) and the histogram; SQLite reads them twice, in two statements."""
    measured = _measured(where, timings)
    if _postgres():
        return [
            (
                f"WITH measured AS MATERIALIZED ({measured}), overruns AS ({_insert_overruns('measured')}), "
                f"grain AS ({_grain('measured')}) {_upsert_histogram('grain')}",
                params,
            )
        ]
    return [
        (f"WITH measured AS ({measured}), grain AS ({_grain('measured')}) {_upsert_histogram('grain')}", params),
        (f"WITH measured AS ({measured}) {_insert_overruns('measured')}", params),
    ]


HISTOGRAM_KEY = "level, unit_id, month, commitment, bucket"
DURATION_COLUMNS = (
    (CharterCode.REGISTRATION, "registration"),
    (CharterCode.DOCUMENT_CHECK, "document_check"),
    (CharterCode.PHYSICAL_INSPECTION, "physical_inspection"),
)


def _grain_per_commitment() -> str:
    """Every stored timing counted per branch, team, month, commitment and bucket (PostgreSQL).

    One GROUP BY per duration column, appended: the planner runs them in parallel, each a scan of the
    narrow timings table with its department's limit joined (one row per department), where unpivoting
    the three columns through a join made three times the rows to filter."""
    parts = []
    for code, column in DURATION_COLUMNS:
        limit = (
            f"SELECT l.department_id, {_limit_seconds()} AS limit_seconds FROM directory_chartercommitment l "
            f"JOIN directory_department dep ON dep.id = l.department_id WHERE l.code = '{code}'"
        )
        parts.append(
            f"SELECT t.branch_id, t.team_id, t.month, '{code}' AS commitment, {bucket_sql(f't.{column}')} AS bucket, "
            f"COUNT(*) AS measured, COUNT(*) FILTER (WHERE t.{column} <= l.limit_seconds) AS within "
            f"FROM {TIMING} t JOIN ({limit}) l ON l.department_id = t.department_id "
            f"WHERE t.{column} IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
        )
    return " UNION ALL ".join(parts)


def _recount_histogram_statements() -> list[tuple[str, list]]:
    """Count every stored timing into the histogram again.

    On PostgreSQL the counting is done by a CREATE TABLE AS, which may run in parallel (an INSERT ...
    SELECT never does), and only the rows whose counts changed are written: a night's recount differs
    from the folded rows in a few months at most, and rewriting every row cost three times the counting
    (each insert checking the unique key against the deleted row's version). SQLite empties and counts
    (the embedded demo's few thousand declarations)."""
    if not _postgres():
        return [(f"DELETE FROM {HISTOGRAM}", []), *_count_statements("1 = 1", [])]
    # Department and branch rows add up the grain; team rows are the grain itself (a team is in one branch).
    summed = " UNION ALL ".join(
        f"SELECT {level} AS level, {unit} AS unit_id, g.month, g.commitment, g.bucket, g.measured, g.within "
        f"FROM charter_grain g JOIN directory_branch b ON b.id = g.branch_id"
        for level, unit in ((Level.DEPARTMENT, "b.department_id"), (Level.BRANCH, "g.branch_id"))
    )
    counted = (
        f"SELECT {HISTOGRAM_KEY}, SUM(measured)::bigint AS measured, SUM(within)::bigint AS within "
        f"FROM ({summed}) u GROUP BY {HISTOGRAM_KEY} UNION ALL SELECT {Level.TEAM}, team_id, month, commitment, "
        "bucket, measured, within FROM charter_grain WHERE team_id IS NOT NULL"
    )
    same_key = " AND ".join(f"h.{column} = n.{column}" for column in HISTOGRAM_KEY.split(", "))
    either_key = ", ".join(f"COALESCE(n.{column}, h.{column}) AS {column}" for column in HISTOGRAM_KEY.split(", "))
    return [
        # (temporary tables are dropped at commit; also here, for two counts in one transaction: tests)
        ("DROP TABLE IF EXISTS pg_temp.charter_grain, pg_temp.charter_counted, pg_temp.charter_changes", []),
        (f"CREATE TEMPORARY TABLE charter_grain ON COMMIT DROP AS {_grain_per_commitment()}", []),
        (f"CREATE TEMPORARY TABLE charter_counted ON COMMIT DROP AS {counted}", []),
        # The rows to add (`added`), to change, and to remove (no count): one hash join of old and new.
        (
            f"CREATE TEMPORARY TABLE charter_changes ON COMMIT DROP AS SELECT {either_key}, n.measured, n.within, "
            f"h.level IS NULL AS added FROM {HISTOGRAM} h FULL JOIN charter_counted n ON {same_key} "
            "WHERE h.level IS NULL OR n.level IS NULL OR h.measured <> n.measured OR h.within <> n.within",
            [],
        ),
        (f"DELETE FROM {HISTOGRAM} h USING charter_changes n WHERE n.measured IS NULL AND {same_key}", []),
        (
            f"UPDATE {HISTOGRAM} h SET measured = n.measured, within = n.within FROM charter_changes n "
            f"WHERE n.measured IS NOT NULL AND NOT n.added AND {same_key}",
            [],
        ),
        (
            f"INSERT INTO {HISTOGRAM} ({HISTOGRAM_KEY}, measured, within) "
            f"SELECT {HISTOGRAM_KEY}, measured, within FROM charter_changes WHERE added",
            [],
        ),
    ]


def _recount_overruns_statements(*, changed_only: bool = False) -> list[tuple[str, list]]:
    """List again the overruns of every stored timing, or (`changed_only`) only those of the
    declarations just re-timed by _retime_changed_statements (its charter_changed table)."""
    if not changed_only:
        return [(f"DELETE FROM {OVERRUN}", []), (_insert_overruns(f"({_measured('1 = 1')}) m"), [])]
    return [
        (f"DELETE FROM {OVERRUN} WHERE declaration_id IN ({CHANGED_IDS})", []),
        (_insert_overruns(f"({_measured(f't.declaration_id IN ({CHANGED_IDS})')}) m"), []),
    ]


def _fold_statements(lo: int, hi: int, *, count_all: bool = False) -> list[tuple[str, list]]:
    """Time the new declarations, count their timings (`count_all`: every stored timing, when the fold
    starts from nothing), then move the pending clearances along."""
    timings = _insert_timings(FRESH, [lo, hi])
    # The new timings by a range of the primary key, and those of the waiting declarations just cleared
    # (an OR of the two in one WHERE read every timing).
    batch = (
        f"(SELECT * FROM {TIMING} WHERE declaration_id > %s AND declaration_id <= %s UNION ALL "
        f"SELECT w.* FROM {TIMING} w JOIN charter_pendingdeclaration p ON p.declaration_id = w.declaration_id)"
    )
    pending = [
        (
            "DELETE FROM charter_pendingdeclaration WHERE declaration_id IN (SELECT d.id FROM feedback_declaration d "
            "JOIN charter_pendingdeclaration p ON p.declaration_id = d.id WHERE d.cleared_at IS NOT NULL)",
            [],
        ),
        (
            "INSERT INTO charter_pendingdeclaration (declaration_id) SELECT d.id FROM feedback_declaration d "
            "WHERE d.cleared_at IS NULL AND d.id > %s AND d.id <= %s",
            [lo, hi],
        ),
    ]
    if count_all:
        counts = [*_recount_histogram_statements(), *_recount_overruns_statements()]
    else:
        counts = _count_statements("1 = 1", [lo, hi], timings=batch)
    return [timings, *counts, *pending]


def _retime_changed_statements(since: datetime.datetime, watermark: int) -> list[tuple[str, list]]:
    """Time again the declarations sent again since `since`: list them once (a temporary table the
    later statements join, with statistics), drop their timings, time those still cleared, and put back
    to waiting those whose clearance was withdrawn."""
    if _postgres():
        listing = [
            ("DROP TABLE IF EXISTS pg_temp.charter_changed", []),
            (f"CREATE TEMPORARY TABLE charter_changed ON COMMIT DROP AS {CHANGED}", [since, watermark]),
            ("ANALYZE charter_changed", []),
        ]
    else:
        listing = [
            ("DROP TABLE IF EXISTS temp.charter_changed", []),
            (f"CREATE TEMPORARY TABLE charter_changed AS {CHANGED}", [since, watermark]),
        ]
    return [
        *listing,
        (f"DELETE FROM {TIMING} WHERE declaration_id IN ({CHANGED_IDS})", []),
        _insert_timings(
            f"SELECT {{columns}} {JOINED} JOIN charter_changed c ON c.id = d.id WHERE d.cleared_at IS NOT NULL", []
        ),
        (
            "INSERT INTO charter_pendingdeclaration (declaration_id) SELECT d.id FROM feedback_declaration d "
            "JOIN charter_changed c ON c.id = d.id WHERE d.cleared_at IS NULL",
            [],
        ),
    ]


# --- the fold ----------------------------------------------------------------------------------


def _upper_bound(cursor, lo: int, cutoff: datetime.datetime) -> int:
    """The highest declaration id created before `cutoff` (see reports.rollups: late commits)."""
    cursor.execute("SELECT MAX(id) FROM feedback_declaration WHERE id > %s AND created_at <= %s", [lo, cutoff])
    found = cursor.fetchone()[0]
    return found if found is not None else lo


def limits_fingerprint() -> str:
    """Changes whenever a commitment's limit or a department's working day (the length of a working-day
    limit) changes: the overruns of every stored timing are then listed again."""
    digest = hashlib.sha256()
    for row in CharterCommitment.objects.order_by("department_id", "code").values_list(
        "department_id", "code", "limit", "unit"
    ):
        digest.update(repr(row).encode())
    for hours in Department.objects.order_by("pk").values_list(
        "pk", "morning_starts", "morning_ends", "afternoon_starts", "afternoon_ends"
    ):
        digest.update(repr(hours).encode())
    return digest.hexdigest()


def _lay_out_calendar(state: CharterState, current: str, *, force: bool) -> None:
    if force or current != state.calendar_fingerprint:
        calendar.refresh_working_days()
        state.calendar_fingerprint = current


def _fold(state: CharterState, cutoff: datetime.datetime, *, refresh_calendar: bool) -> FoldResult:
    current = calendar.fingerprint()
    _lay_out_calendar(state, current, force=refresh_calendar)
    with connection.cursor() as cursor:
        lo = state.declaration_watermark
        hi = _upper_bound(cursor, lo, cutoff)
        if lo == 0:  # everything is timed and counted now, with this calendar and these limits
            state.timing_fingerprint = current
            state.limits_fingerprint = limits_fingerprint()
            statements = [*_fold_statements(0, hi, count_all=True)]
        else:
            cursor.execute("SELECT 1 FROM charter_pendingdeclaration LIMIT 1")
            statements = _fold_statements(lo, hi) if hi > lo or cursor.fetchone() is not None else []
        for sql, params in statements:
            cursor.execute(sql, params)
    state.declaration_watermark = hi
    state.folded_at = timezone.now()
    state.save(
        update_fields=[
            "declaration_watermark",
            "calendar_fingerprint",
            "timing_fingerprint",
            "limits_fingerprint",
            "folded_at",
        ]
    )
    return FoldResult(lo, hi)


@contextmanager
def _snapshot_transaction():
    """One snapshot for the fold's statements (REPEATABLE READ on PostgreSQL), as reports.rollups."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if _postgres():
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
        yield


def _is_concurrent_fold(error: OperationalError) -> bool:
    if connection.vendor == "sqlite":
        return "locked" in str(error)
    return getattr(error.__cause__, "pgcode", None) in (SERIALIZATION_FAILURE, LOCK_NOT_AVAILABLE)


def _cutoff(now: datetime.datetime | None, lag_seconds: float | None) -> datetime.datetime:
    lag = settings.ROLLUP_SAFETY_LAG_SECONDS if lag_seconds is None else lag_seconds
    return (now or timezone.now()) - datetime.timedelta(seconds=lag)


def fold_compliance(*, now: datetime.datetime | None = None, lag_seconds: float | None = None) -> FoldResult:
    """Measure what is new since the watermark; skip if another fold or a rebuild holds the state row."""
    cutoff = _cutoff(now, lag_seconds)
    CharterState.objects.get_or_create(pk=1)
    try:
        with _snapshot_transaction():
            if connection.vendor == "sqlite":  # no row locks: take the database's write lock first
                CharterState.objects.filter(pk=1).update(folded_at=F("folded_at"))
            state = CharterState.objects.select_for_update(skip_locked=True).filter(pk=1).first()
            if state is None:
                return FoldResult(skipped=True)
            return _fold(state, cutoff, refresh_calendar=False)
    except OperationalError as error:
        if _is_concurrent_fold(error):
            return FoldResult(skipped=True)
        raise


def rebuild_compliance(
    *, now: datetime.datetime | None = None, lag_seconds: float | None = None, retime: bool = False
) -> FoldResult:
    """Recount every compliance row in one transaction (readers see the old rows until the commit).

    The histograms and overruns are counted again from the stored timings, under today's limits, after
    re-timing the declarations sent again since the last rebuild. When a department calendar changed
    since the timings were computed (or with `retime`), every declaration is timed again first."""
    CharterState.objects.get_or_create(pk=1)
    for attempt in range(5):
        try:
            with _snapshot_transaction():
                state = CharterState.objects.select_for_update().get(pk=1)
                cutoff = _cutoff(now, lag_seconds)
                current = calendar.fingerprint()
                _lay_out_calendar(state, current, force=False)
                with connection.cursor() as cursor:
                    if retime or state.timing_fingerprint != current:
                        # The fold from 0 times everything again and counts it all. Only the fold and the
                        # rebuild read these two tables, under the state row's lock: TRUNCATE (a new, compact
                        # file) is safe, where DELETE would leave 10 million dead rows for every scan to read.
                        if _postgres():
                            cursor.execute(f"TRUNCATE {PENDING}, {TIMING}")
                        else:
                            for table in (PENDING, TIMING):
                                cursor.execute(f"DELETE FROM {table}")
                        state.declaration_watermark = 0
                    elif state.declaration_watermark:
                        changed = (state.retimed_through or EPOCH, state.declaration_watermark)
                        limits = limits_fingerprint()
                        statements = [
                            *_retime_changed_statements(*changed),
                            *_recount_overruns_statements(changed_only=limits == state.limits_fingerprint),
                            *_recount_histogram_statements(),
                        ]
                        for sql, params in statements:
                            cursor.execute(sql, params)
                        state.limits_fingerprint = limits
                result = _fold(state, cutoff, refresh_calendar=False)
                state.rebuilt_at = state.folded_at
                state.retimed_through = cutoff
                state.save(update_fields=["rebuilt_at", "retimed_through", "limits_fingerprint"])
                if _postgres() and result.declarations_from == 0:  # every row written again: fresh statistics
                    with connection.cursor() as cursor:
                        cursor.execute(f"ANALYZE {HISTOGRAM}, {OVERRUN}, {WORKING_DAY}, {TIMING}")
                return result
        except OperationalError as error:
            if not _is_concurrent_fold(error) or attempt == 4:
                raise
    raise AssertionError("unreachable")
