#!/usr/bin/env python
"""Rating exports at the speed of the writer (issue 14): the portal's export against the bare writers,
in one run, on the same rows.

    .venv/bin/python bench/exports.py [--database-url postgres://.../cp_pages_1m] [--period 2026-01..2026-06]

Needs a database bench/pages.py generated (default cp_pages_1m). For the department's ratings over the
period it times, in process:
- xlsx: reports.exports (rows read, officers joined, cells written by `write_rows_xlsx`) against
  openpyxl's write-only mode writing the same rows already in memory (its floor): the same values
  (numbers as numbers, times as local times, which openpyxl gives its default date format) with no
  other formatting; the same rows turned into text are timed too (text cells cost less than dates);
- csv: reports.exports (`copy_csv`: one COPY that formats the cells as the portable path does, with
  the BOM and header in front) against PostgreSQL's bare `COPY (SELECT ...) TO STDOUT WITH CSV` of the
  same columns unformatted (officers aggregated in SQL); the portable path (`rating_rows` through
  `stream_csv`, SQLite's) is timed too, for the record;
and prints the rates and the ratios. The aim: each within 2x of its bare writer.
"""

import argparse
import datetime
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_declarations import setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cp_pages_1m"
AIM = 2.0

COPY_SQL = """
COPY (
    SELECT d.number, d.cleared_at, r.created_at, d.channel, b.name, t.name, r.branch_level, r.team_level,
           (SELECT string_agg(o.full_name || ' (' || o.code || '): ' || ro.level, '; ' ORDER BY ro.id)
              FROM feedback_ratingofficer ro JOIN directory_officer o ON o.id = ro.officer_id
             WHERE ro.rating_id = r.id),
           r.comment
      FROM feedback_rating r
      JOIN feedback_declaration d ON d.id = r.declaration_id
      JOIN directory_branch b ON b.id = r.branch_id
      LEFT JOIN directory_team t ON t.id = r.team_id
     WHERE r.id IN ({ids})
     ORDER BY d.cleared_at, r.id
) TO STDOUT WITH CSV HEADER
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--period", default="2026-01..2026-06")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.utils import timezone, translation
    from openpyxl import Workbook

    from directory.models import Department, User
    from reports.exports import services, tables
    from reports.measures import Period
    from reports.models import UnitKind

    translation.activate("vi")
    staff = User.objects.get(username="staff")
    department = Department.objects.get(code="QN")
    export = services.RatingExport(UnitKind.DEPARTMENT, department.pk, Period.parse(args.period), None, "xlsx")
    ratings = services.ratings_for(staff, export)
    columns = services.columns_for(export)
    count = ratings.count()
    print(f"{count:,} ratings of the department over {args.period}")

    def portal_xlsx() -> int:
        with tempfile.TemporaryFile() as handle:
            return tables.write_rows_xlsx(handle, "Ratings", columns, services.rating_rows(ratings))

    def portal_csv() -> int:
        with tempfile.TemporaryFile() as handle:
            return services.copy_csv(handle, export, ratings)

    def portable_csv() -> int:
        written = 0
        with tempfile.TemporaryFile("w", encoding="utf-8") as handle:
            for line in tables.stream_csv(columns, services.rating_rows(ratings)):
                handle.write(line)
                written += 1
        return written - 1

    rows = list(services.rating_rows(ratings))
    zone = timezone.get_current_timezone()

    def local(value):
        return value.astimezone(zone).replace(tzinfo=None) if isinstance(value, datetime.datetime) else value

    same = [[local(value) for value in row] for row in rows]
    plain = [[str(value) if value is not None else None for value in row] for row in rows]
    ids = ",".join(str(pk) for pk in ratings.values_list("pk", flat=True)) or "0"

    def openpyxl_rows(values: list[list]) -> int:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Ratings")
        sheet.append([column.label for column in columns])
        for row in values:
            sheet.append(row)
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)
        return len(values)

    def raw_openpyxl() -> int:
        return openpyxl_rows(same)

    def raw_openpyxl_text() -> int:
        return openpyxl_rows(plain)

    def copy_csv() -> int:
        buffer = io.StringIO()
        with connection.cursor() as cursor:
            cursor.copy_expert(COPY_SQL.format(ids=ids), buffer)
        return buffer.getvalue().count("\n") - 1

    results = {}
    for name, function in (
        ("portal xlsx", portal_xlsx),
        ("openpyxl write-only, same rows in memory", raw_openpyxl),
        ("openpyxl write-only, same rows as text", raw_openpyxl_text),
        ("portal csv (COPY, formatted)", portal_csv),
        ("COPY ... TO STDOUT CSV", copy_csv),
        ("portable csv (SQLite's path)", portable_csv),
    ):
        started = time.perf_counter()
        written = function()
        seconds = time.perf_counter() - started
        results[name] = seconds
        print(f"{name:42} {written:>9,} rows {seconds:7.2f} s {written / seconds:>10,.0f} rows/s", flush=True)
    xlsx_ratio = results["portal xlsx"] / results["openpyxl write-only, same rows in memory"]
    csv_ratio = results["portal csv (COPY, formatted)"] / results["COPY ... TO STDOUT CSV"]
    text_ratio = results["portal xlsx"] / results["openpyxl write-only, same rows as text"]
    print(f"xlsx: {xlsx_ratio:.2f}x openpyxl write-only ({'within' if xlsx_ratio <= AIM else 'over'} {AIM:.0f}x)")
    print(f"      {text_ratio:.2f}x openpyxl write-only writing the rows as text (for the record)")
    print(f"csv:  {csv_ratio:.2f}x COPY to CSV ({'within' if csv_ratio <= AIM else 'over'} {AIM:.0f}x)")
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
