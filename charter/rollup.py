"""Folding cleared declarations into the charter compliance rollups (charter.models), in the database.

One code path for both entry points, like reports.rollups:
- `fold_compliance()` (beat, every minute) measures the declarations created since the watermark that
  are cleared, and those waiting in PendingDeclaration whose clearance has arrived since;
- `rebuild_compliance()` (nightly and `manage.py rebuild_charter`) empties the tables, lays the
  department calendars out again and runs the same fold from watermark 0, in one transaction.

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
fold time (minutes x 60, working hours x 3,600, working days x the department's working day); a
changed limit or calendar reaches past months at the next rebuild.
"""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from directory.choices import CharterCode, CharterUnit

from . import calendar
from .buckets import bucket_sql
from .choices import DECLARATION_COMMITMENTS, Level
from .models import CharterState, ComplianceHistogram, Overrun, PendingDeclaration

HISTOGRAM = ComplianceHistogram._meta.db_table
OVERRUN = Overrun._meta.db_table
WORKING_DAY = "charter_workingday"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
FOLD_WORK_MEM = "256MB"
DAY = 86_400


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


def _measured(lo: int, hi: int) -> tuple[str, list]:
    """One row per measured duration of the declarations to count now: (declaration, department,
    branch, team, month, commitment, seconds, limit_seconds)."""
    month, month_params = _month("d.cleared_at")
    columns = (
        f"d.id, d.branch_id, d.team_id, b.department_id, {month} AS month, "
        f"{_local_epoch('d.received_at')} AS e_received, {_local_epoch('d.registered_at')} AS e_registered, "
        f"{_local_epoch('d.document_check_done_at')} AS e_document, "
        f"{_local_epoch('d.inspection_done_at')} AS e_inspection"
    )
    fresh = (
        f"SELECT {columns} FROM feedback_declaration d JOIN directory_branch b ON b.id = d.branch_id "
        "WHERE d.cleared_at IS NOT NULL AND d.id > %s AND d.id <= %s "
        f"UNION ALL SELECT {columns} FROM feedback_declaration d JOIN directory_branch b ON b.id = d.branch_id "
        "JOIN charter_pendingdeclaration p ON p.declaration_id = d.id WHERE d.cleared_at IS NOT NULL"
    )
    w_registered = _working_clock("c_reg", "s.e_registered")
    w_document = _working_clock("c_doc", "s.e_document")
    w_inspection = _working_clock("c_insp", "s.e_inspection")
    timed = (
        "SELECT s.id, s.department_id, s.branch_id, s.team_id, s.month, "
        "s.e_registered - s.e_received AS registration, "
        f"{w_document} - {w_registered} AS document_check, "
        f"{w_inspection} - CASE WHEN s.e_document IS NULL THEN {w_registered} ELSE {w_document} END "
        "AS physical_inspection "
        f"FROM ({fresh}) s "
        + " ".join(
            f"LEFT JOIN {WORKING_DAY} {alias} "
            f"ON {alias}.department_id = s.department_id AND {alias}.day = s.{epoch} / {DAY}"
            for alias, epoch in (("c_reg", "e_registered"), ("c_doc", "e_document"), ("c_insp", "e_inspection"))
        )
        + _fence()
    )
    # One row per (declaration, commitment), the durations computed once per declaration above (the
    # fence keeps PostgreSQL from pasting the working-time expressions into every use of `seconds`).
    seconds = (
        f"CASE l.code WHEN '{CharterCode.REGISTRATION}' THEN t.registration "
        f"WHEN '{CharterCode.DOCUMENT_CHECK}' THEN t.document_check ELSE t.physical_inspection END"
    )
    codes = ", ".join(f"'{code}'" for code in DECLARATION_COMMITMENTS)
    sql = (
        "SELECT t.id AS declaration_id, t.department_id, t.branch_id, t.team_id, t.month, l.code AS commitment, "
        f"{seconds} AS seconds, {_limit_seconds()} AS limit_seconds FROM ({timed}) t "
        "JOIN directory_chartercommitment l ON l.department_id = t.department_id "
        f"JOIN directory_department dep ON dep.id = t.department_id WHERE l.code IN ({codes}) AND {seconds} IS NOT NULL"
    )
    return sql, [*month_params, lo, hi, *month_params]


def _fence() -> str:
    """Keeps a subquery from being flattened into its parent (PostgreSQL); SQLite has no need of it."""
    return " OFFSET 0" if _postgres() else ""


def _fold_statements(lo: int, hi: int) -> list[tuple[str, list]]:
    """The histogram upsert and the overruns, then the pending clearances.

    On PostgreSQL one statement measures once (a MATERIALIZED CTE) and feeds both the overruns (a
    data-modifying CTE) and the histogram; SQLite measures twice, in two statements."""
    measured, params = _measured(lo, hi)
    grain = (
        f"SELECT department_id, branch_id, team_id, month, commitment, {bucket_sql('seconds')} AS bucket, "
        "COUNT(*) AS measured, SUM(CASE WHEN seconds <= limit_seconds THEN 1 ELSE 0 END) AS within "
        "FROM measured GROUP BY 1, 2, 3, 4, 5, 6"
    )
    units = " UNION ALL ".join(
        f"SELECT commitment, {level} AS level, {unit} AS unit_id, month, bucket, measured, within FROM grain{where}"
        for level, unit, where in (
            (Level.DEPARTMENT, "department_id", ""),
            (Level.BRANCH, "branch_id", ""),
            (Level.TEAM, "team_id", " WHERE team_id IS NOT NULL"),
        )
    )
    key = "level, unit_id, month, commitment, bucket"
    upsert_histogram = (
        f"INSERT INTO {HISTOGRAM} ({key}, measured, within) "
        f"SELECT {key}, SUM(measured), SUM(within) FROM ({units}) u GROUP BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET measured = {HISTOGRAM}.measured + excluded.measured, "
        f"within = {HISTOGRAM}.within + excluded.within"
    )
    insert_overruns = (
        f"INSERT INTO {OVERRUN} (declaration_id, commitment, department_id, branch_id, team_id, month, seconds, "
        "limit_seconds) SELECT declaration_id, commitment, department_id, branch_id, team_id, month, seconds, "
        "limit_seconds FROM measured WHERE seconds > limit_seconds ON CONFLICT (declaration_id, commitment) DO NOTHING"
    )
    if _postgres():
        statements = [
            (
                f"WITH measured AS MATERIALIZED ({measured}), overruns AS ({insert_overruns}), "
                f"grain AS ({grain}) {upsert_histogram}",
                params,
            )
        ]
    else:
        statements = [
            (f"WITH measured AS ({measured}), grain AS ({grain}) {upsert_histogram}", params),
            (f"WITH measured AS ({measured}) {insert_overruns}", params),
        ]
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
    return [*statements, *pending]


# --- the fold ----------------------------------------------------------------------------------


def _upper_bound(cursor, lo: int, cutoff: datetime.datetime) -> int:
    """The highest declaration id created before `cutoff` (see reports.rollups: late commits)."""
    cursor.execute("SELECT MAX(id) FROM feedback_declaration WHERE id > %s AND created_at <= %s", [lo, cutoff])
    found = cursor.fetchone()[0]
    return found if found is not None else lo


def _fold(state: CharterState, cutoff: datetime.datetime, *, refresh_calendar: bool) -> FoldResult:
    current = calendar.fingerprint()
    if refresh_calendar or current != state.calendar_fingerprint:
        calendar.refresh_working_days()
        state.calendar_fingerprint = current
    with connection.cursor() as cursor:
        lo = state.declaration_watermark
        hi = _upper_bound(cursor, lo, cutoff)
        cursor.execute("SELECT 1 FROM charter_pendingdeclaration LIMIT 1")
        if hi > lo or cursor.fetchone() is not None:
            for sql, params in _fold_statements(lo, hi):
                cursor.execute(sql, params)
    state.declaration_watermark = hi
    state.folded_at = timezone.now()
    state.save(update_fields=["declaration_watermark", "calendar_fingerprint", "folded_at"])
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


def rebuild_compliance(*, now: datetime.datetime | None = None, lag_seconds: float | None = None) -> FoldResult:
    """Recompute every compliance row in one transaction (readers see the old rows until the commit)."""
    CharterState.objects.get_or_create(pk=1)
    for attempt in range(5):
        try:
            with _snapshot_transaction():
                state = CharterState.objects.select_for_update().get(pk=1)
                with connection.cursor() as cursor:
                    for model in (ComplianceHistogram, Overrun, PendingDeclaration):
                        cursor.execute(f"DELETE FROM {model._meta.db_table}")
                state.declaration_watermark = 0
                result = _fold(state, _cutoff(now, lag_seconds), refresh_calendar=True)
                state.rebuilt_at = state.folded_at
                state.save(update_fields=["rebuilt_at"])
                if _postgres():
                    with connection.cursor() as cursor:
                        cursor.execute(f"ANALYZE {HISTOGRAM}, {OVERRUN}, {WORKING_DAY}")
                return result
        except OperationalError as error:
            if not _is_concurrent_fold(error) or attempt == 4:
                raise
    raise AssertionError("unreachable")
