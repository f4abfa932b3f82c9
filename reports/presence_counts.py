"""Distinct businesses per unit over every run of months within a year (PresenceCount), for the dashboards.

BusinessPresence holds one row per (unit, year, business) with a bit per month. Counting a period from it
reads every business of the unit's year: a department's year is ~16,000 rows and its branches' ~76,000,
10-20 ms a query, and a dashboard asks four such questions. Every period a dashboard offers (a month, a
quarter, a year, and the period just before) is a run of months within one year, and a year has 78 runs:
PresenceCount keeps the two counts of each run, so a dashboard reads a handful of rows.

Masks only gain bits between rebuilds, so the fold adds differences: before it merges its new bits into
BusinessPresence it reads each touched row's masks before and after the merge, and adds to every run the
businesses that now meet it and did not before (`add_changes`). Recounting the unit-years instead cost 5 s
a fold at ten million ratings. The rebuild counts everything anew (`count_all`). Runs nobody met have no
row; a reader takes a missing row as zero. Both run inside the rollups' transaction (reports.rollups), so
the counts never disagree with the masks. A period across two years is still counted from BusinessPresence
(reports.measures.figures).
"""

from .models import BusinessPresence, PresenceCount

COUNT_TABLE = PresenceCount._meta.db_table
PRESENCE_TABLE = BusinessPresence._meta.db_table
COUNT_KEY = "unit_kind, unit_id, year, first_month, last_month"
RUNS = [(first, last) for first in range(1, 13) for last in range(first, 13)]


def run_mask(first: int, last: int) -> int:
    """The bits of months `first`..`last` (bit m - 1 for month m), as BusinessPresence sets them."""
    return (1 << last) - (1 << (first - 1))


def _runs_cte() -> str:
    runs = ", ".join(f"({first}, {last}, {run_mask(first, last)})" for first, last in RUNS)
    return f"runs (first_month, last_month, mask) AS (VALUES {runs})"


def _meets(column: str) -> str:
    return f"CASE WHEN ({column} & r.mask) <> 0 THEN 1 ELSE 0 END"


def _gained(column: str) -> str:
    """Per run: businesses of a change that meet the run after the merge and did not before (0 or 1 each)."""
    return (
        f"SUM(CASE WHEN ((c.old_{column} | c.new_{column}) & r.mask) <> 0 THEN 1 ELSE 0 END "
        f"- CASE WHEN (c.old_{column} & r.mask) <> 0 THEN 1 ELSE 0 END)"
    )


def count_all(cursor) -> None:
    """Every unit-year's counts, anew from BusinessPresence (the rebuild, and the migration that made the
    table). Grouped by pairs of masks first: a unit-year has a fifth to a seventh as many pairs as rows."""
    cleared, rated = _meets("m.cleared_months"), _meets("m.rated_months")
    cursor.execute(f"DELETE FROM {COUNT_TABLE}")
    cursor.execute(
        f"WITH {_runs_cte()}, masks AS (SELECT unit_kind, unit_id, year, cleared_months, rated_months, COUNT(*) AS n "
        f"FROM {PRESENCE_TABLE} GROUP BY unit_kind, unit_id, year, cleared_months, rated_months) "
        f"INSERT INTO {COUNT_TABLE} ({COUNT_KEY}, businesses_cleared, businesses_rated) "
        f"SELECT m.unit_kind, m.unit_id, m.year, r.first_month, r.last_month, SUM({cleared} * m.n), SUM({rated} * m.n) "
        "FROM masks m CROSS JOIN runs r GROUP BY m.unit_kind, m.unit_id, m.year, r.first_month, r.last_month "
        f"HAVING SUM({cleared}) > 0 OR SUM({rated}) > 0 ORDER BY {COUNT_KEY}"
    )


def add_changes(cursor, units_ctes: str, params: list) -> None:
    """Add to the counts what merging the fold's new presence bits will change; call it just before the merge.

    `units_ctes`: the fold's "WITH ..., units AS (...)" giving (unit_kind, unit_id, year, business_id,
    cleared, rated) rows of new bits, with its `params`. Each touched business is compared with its row in
    BusinessPresence (none yet: no bits); only the businesses whose masks gain a bit are spread over the runs.
    """
    old_cleared, old_rated = "COALESCE(p.cleared_months, 0)", "COALESCE(p.rated_months, 0)"
    cleared, rated = _gained("cleared"), _gained("rated")
    cursor.execute(
        f"{units_ctes}, {_runs_cte()}, "
        "fresh AS (SELECT unit_kind, unit_id, year, business_id, BIT_OR(cleared) AS cleared, BIT_OR(rated) AS rated "
        "FROM units GROUP BY unit_kind, unit_id, year, business_id), "
        f"changes AS (SELECT f.unit_kind, f.unit_id, f.year, {old_cleared} AS old_cleared, {old_rated} AS old_rated, "
        f"f.cleared AS new_cleared, f.rated AS new_rated FROM fresh f LEFT JOIN {PRESENCE_TABLE} p "
        "ON p.unit_kind = f.unit_kind AND p.unit_id = f.unit_id AND p.year = f.year AND p.business_id = f.business_id "
        f"WHERE ({old_cleared} | f.cleared) <> {old_cleared} OR ({old_rated} | f.rated) <> {old_rated}) "
        f"INSERT INTO {COUNT_TABLE} ({COUNT_KEY}, businesses_cleared, businesses_rated) "
        f"SELECT c.unit_kind, c.unit_id, c.year, r.first_month, r.last_month, {cleared}, {rated} "
        "FROM changes c CROSS JOIN runs r GROUP BY c.unit_kind, c.unit_id, c.year, r.first_month, r.last_month "
        f"HAVING {cleared} <> 0 OR {rated} <> 0 ORDER BY {COUNT_KEY} "
        f"ON CONFLICT ({COUNT_KEY}) DO UPDATE SET "
        f"businesses_cleared = {COUNT_TABLE}.businesses_cleared + excluded.businesses_cleared, "
        f"businesses_rated = {COUNT_TABLE}.businesses_rated + excluded.businesses_rated",
        params,
    )
