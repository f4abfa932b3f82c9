"""Distinct businesses per unit over every run of months within a year (PresenceCount), for the dashboards.

BusinessPresence holds one row per (unit, year, business) with a bit per month. Counting a period from it
reads every business of the unit's year: a department's year is ~16,000 rows and its branches' ~76,000,
10-20 ms a query, and a dashboard asks four such questions. Every period a dashboard offers (a month, a
quarter, a year, and the period just before) is a run of months within one year, and a year has 78 runs:
PresenceCount keeps the two counts of each run, so a dashboard reads a handful of rows.

The counts are made from the unit-year's distinct pairs of masks (a fifth to a seventh of its rows), each
tested against the 78 runs' masks. Called by reports.rollups inside its fold (for the unit-years whose
masks changed) and its rebuild (all of them): same transaction, so the counts never disagree with the
masks. A period across two years is still counted from BusinessPresence (reports.measures.figures).
"""

from collections.abc import Iterable

from .models import PresenceCount

COUNT_TABLE = PresenceCount._meta.db_table
PRESENCE_TABLE = "reports_businesspresence"
RUNS = [(first, last) for first in range(1, 13) for last in range(first, 13)]
KEYS_PER_STATEMENT = 500


def run_mask(first: int, last: int) -> int:
    """The bits of months `first`..`last` (bit m - 1 for month m), as BusinessPresence sets them."""
    return (1 << last) - (1 << (first - 1))


def _count_sql(where: str) -> str:
    runs = ", ".join(f"({first}, {last}, {run_mask(first, last)})" for first, last in RUNS)
    return (
        f"WITH runs (first_month, last_month, mask) AS (VALUES {runs}), "
        "masks AS (SELECT unit_kind, unit_id, year, cleared_months, rated_months, COUNT(*) AS n "
        f"FROM {PRESENCE_TABLE} {where} GROUP BY unit_kind, unit_id, year, cleared_months, rated_months) "
        f"INSERT INTO {COUNT_TABLE} (unit_kind, unit_id, year, first_month, last_month, businesses_cleared, "
        "businesses_rated) SELECT m.unit_kind, m.unit_id, m.year, r.first_month, r.last_month, "
        "SUM(CASE WHEN (m.cleared_months & r.mask) <> 0 THEN m.n ELSE 0 END), "
        "SUM(CASE WHEN (m.rated_months & r.mask) <> 0 THEN m.n ELSE 0 END) "
        "FROM masks m CROSS JOIN runs r "
        "GROUP BY m.unit_kind, m.unit_id, m.year, r.first_month, r.last_month "
        "ORDER BY m.unit_kind, m.unit_id, m.year, r.first_month, r.last_month"
    )


def recount_all(cursor) -> None:
    """Every unit-year's counts, anew (the rebuild)."""
    cursor.execute(f"DELETE FROM {COUNT_TABLE}")
    cursor.execute(_count_sql(""))


def recount(cursor, keys: Iterable[tuple[int, int, int]]) -> None:
    """The counts of the unit-years `keys` ((unit_kind, unit_id, year)), anew."""
    keys = sorted(set(keys))
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start : start + KEYS_PER_STATEMENT]
        where = "WHERE (unit_kind, unit_id, year) IN (VALUES " + ", ".join(["(%s, %s, %s)"] * len(chunk)) + ")"
        params = [value for key in chunk for value in key]
        cursor.execute(f"DELETE FROM {COUNT_TABLE} {where}", params)
        cursor.execute(_count_sql(where), params)
