"""Exports of rating rows (one row per rating), scoped to a unit the user may see.

Up to about two seconds of writing (settings.EXPORT_SYNC_MAX_ROWS, 50,000 rows of CSV, or
EXPORT_SYNC_MAX_XLSX_ROWS, 10,000 rows of xlsx) the view sends the file at once; beyond, an ExportJob row
is written and `export_ratings_task` builds the file under MEDIA_ROOT (xlsx with openpyxl's write-only
mode: memory stays flat), reporting its progress on the row. Only the owner may download it.
"""

import csv
import datetime
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Sum
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import jobs
from core.spreadsheet import FORMULA_STARTS
from directory.models import Officer
from feedback.choices import Channel
from feedback.models import Rating, RatingOfficer

from ..measures import Period, visible_units
from ..models import RatingRollup, RollupState, UnitKind
from . import tables
from .models import ExportJob

logger = logging.getLogger(__name__)

RATINGS = "ratings"
FORMATS = ("xlsx", "csv")
CHUNK = 2000


def sync_limit(file_format: str) -> int:
    """The most rows written during the request: xlsx is about four times slower to write than CSV."""
    return settings.EXPORT_SYNC_MAX_XLSX_ROWS if file_format == "xlsx" else settings.EXPORT_SYNC_MAX_ROWS


@dataclass(frozen=True)
class RatingExport:
    """What to export: the ratings of one unit over a period, optionally on one channel, as xlsx or csv."""

    kind: UnitKind
    unit_id: int
    period: Period
    channel: str | None
    file_format: str

    def as_params(self) -> dict:
        return {
            "kind": int(self.kind),
            "unit_id": self.unit_id,
            "first": self.period.first.isoformat(),
            "last": self.period.last.isoformat(),
            "channel": self.channel,
            "format": self.file_format,
            "language": translation.get_language(),
        }

    @classmethod
    def from_params(cls, params: dict) -> "RatingExport":
        return cls(
            UnitKind(params["kind"]),
            params["unit_id"],
            Period(datetime.date.fromisoformat(params["first"]), datetime.date.fromisoformat(params["last"])),
            params.get("channel"),
            params.get("format", "xlsx"),
        )

    def filename(self) -> str:
        return f"ratings-{self.period.first:%Y%m}-{self.period.last:%Y%m}.{self.file_format}"


def ratings_for(user, export: RatingExport):
    """The ratings of the unit over the period (by local month of clearance, like the figures), in
    clearance order; Http404 when the unit is out of the user's scope."""
    if not visible_units(user, export.kind).filter(pk=export.unit_id).exists():
        raise Http404(_("No such unit."))
    start, end = export.period.local_bounds()
    ratings = Rating.objects.filter(declaration__cleared_at__gte=start, declaration__cleared_at__lt=end)
    if export.kind == UnitKind.DEPARTMENT:
        ratings = ratings.filter(branch__department_id=export.unit_id)
    elif export.kind == UnitKind.BRANCH:
        ratings = ratings.filter(branch_id=export.unit_id)
    elif export.kind == UnitKind.TEAM:  # the team snapshot of the rating, as the team's figures count it
        ratings = ratings.filter(team_id=export.unit_id)
    else:
        # From the officer's own rating rows (rating_officer_idx), not from every rating of the period.
        rated = RatingOfficer.objects.filter(officer_id=export.unit_id)
        ratings = ratings.filter(pk__in=rated.values("rating_id"))
    if export.channel:
        ratings = ratings.filter(declaration__channel=export.channel)
    return ratings.order_by("declaration__cleared_at", "pk")


def rows_to_export(ratings, export: RatingExport) -> int:
    """How many rows `ratings` (ratings_for(export)) has, to choose between a download now and a job.

    The unit's rated declarations in the rating rollups over the period's months (RatingRollup.rated: the
    ratings of the unit, by local month of clearance, as ratings_for selects them), plus the ratings the
    fold has not reached yet, counted live above its watermark. Counting the rows themselves read the
    unit's whole history for an officer: 174 ms for a month of 664 rows at ten million ratings."""
    watermark = RollupState.objects.filter(pk=1).values_list("rating_watermark", flat=True).first() or 0
    folded = RatingRollup.objects.filter(
        unit_kind=export.kind,
        unit_id=export.unit_id,
        month__gte=export.period.first,
        month__lte=export.period.last,
        **({"channel": export.channel} if export.channel else {}),
    ).aggregate(rated=Sum("rated"))["rated"]
    return (folded or 0) + ratings.filter(pk__gt=watermark).count()


ROW_FIELDS = (
    "pk",
    "declaration__number",
    "declaration__cleared_at",
    "created_at",
    "declaration__channel",
    "branch__name",
    "team__name",
    "branch_level",
    "team_level",
    "comment",
)


def rating_rows(ratings, *, officer_id: int | None = None):
    """One list of values per rating: plain tuples read through a server-side cursor, CHUNK at a time,
    with the officers' levels of each chunk read in one query (no model instances, no query per row)."""
    chunk: list[tuple] = []
    for row in ratings.values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from _with_officers(chunk, officer_id)
            chunk = []
    if chunk:
        yield from _with_officers(chunk, officer_id)


def _with_officers(chunk: list[tuple], officer_id: int | None):
    channels = dict(Channel.choices)
    officers = RatingOfficer.objects.filter(rating_id__in=[row[0] for row in chunk])
    if officer_id is not None:
        officers = officers.filter(officer_id=officer_id)
    by_rating: dict[int, list[tuple]] = {}
    for rating_id, name, code, level in officers.order_by("id").values_list(
        "rating_id", "officer__full_name", "officer__code", "level"
    ):
        by_rating.setdefault(rating_id, []).append((name, code, level))
    for pk, number, cleared_at, created_at, channel, branch, team, branch_level, team_level, comment in chunk:
        officer_rows = by_rating.get(pk, [])
        if officer_id is not None:
            levels = officer_rows[0][2] if officer_rows else None
        else:
            levels = "; ".join(f"{name} ({code}): {level}" for name, code, level in officer_rows)
        yield [
            number,
            cleared_at,
            created_at,
            str(channels.get(channel, channel)),
            branch,
            team or "",
            branch_level,
            team_level,
            levels,
            comment,
        ]


# --- CSV straight from PostgreSQL ------------------------------------------------------------------------
#
# On PostgreSQL the CSV rows come from one COPY ... TO STDOUT: the database formats every cell as
# tables.stream_csv would (local time dd/mm/yyyy hh:mm, the channel's label in the active language,
# officers "name (code): level" joined with "; ", formula-like text behind an apostrophe), and Python only
# passes the bytes on. The rows and their order are those of `ratings_for` (its query is the inner one).


def copies_csv() -> bool:
    return connection.vendor == "postgresql"


def _literal(cursor, value) -> str:
    return cursor.mogrify("%s", [value]).decode()


def _inert(cursor, expression: str) -> str:
    """SQL of `expression` with formula-like text behind an apostrophe (core.spreadsheet.csv_text)."""
    starts = _literal(cursor, list(FORMULA_STARTS))
    return f"CASE WHEN left({expression}, 1) = ANY({starts}) THEN chr(39) || {expression} ELSE {expression} END"


def _copy_sql(cursor, ratings, officer_id: int | None) -> str:
    inner, params = (
        ratings.annotate(
            x_number=F("declaration__number"),
            x_cleared_at=F("declaration__cleared_at"),
            x_channel=F("declaration__channel"),
            x_branch=F("branch__name"),
            x_team=F("team__name"),
        )
        .values_list(
            "pk",
            "x_number",
            "x_cleared_at",
            "created_at",
            "x_channel",
            "x_branch",
            "x_team",
            "branch_level",
            "team_level",
            "comment",
        )
        .query.sql_with_params()
    )
    inner_sql = cursor.mogrify(inner, params).decode()
    zone = _literal(cursor, timezone.get_current_timezone_name())
    labels = " ".join(
        f"WHEN {_literal(cursor, value)} THEN {_literal(cursor, str(label))}" for value, label in Channel.choices
    )
    channel = f"CASE picked.x_channel {labels} ELSE picked.x_channel END"
    rated, officers = RatingOfficer._meta.db_table, Officer._meta.db_table
    if officer_id is None:
        # Each rating's officers beside its row (LATERAL: once per row). The officer by its primary key
        # in a subquery: as a join, the planner hashes the whole officer table again for every rating.
        officer = f"(SELECT o.full_name || ' (' || o.code || '): ' FROM {officers} o WHERE o.id = ro.officer_id)"
        levels = (
            f"SELECT string_agg({officer} || ro.level, '; ' ORDER BY ro.id)"
            f" FROM {rated} ro WHERE ro.rating_id = picked.pk"
        )
    else:
        levels = (
            f"SELECT ro.level FROM {rated} ro WHERE ro.rating_id = picked.pk"
            f" AND ro.officer_id = {int(officer_id)} ORDER BY ro.id LIMIT 1"
        )
    levels_cell = _inert(cursor, "rated.levels") if officer_id is None else "rated.levels"

    def local(column: str) -> str:
        return f"to_char(picked.{column} AT TIME ZONE {zone}, 'DD/MM/YYYY HH24:MI')"

    cells = [
        _inert(cursor, "picked.x_number"),
        local("x_cleared_at"),
        local("created_at"),
        _inert(cursor, channel),
        _inert(cursor, "picked.x_branch"),
        _inert(cursor, "picked.x_team"),
        "picked.branch_level",
        "picked.team_level",
        levels_cell,
        _inert(cursor, "picked.comment"),
    ]
    return (
        f"COPY (SELECT {', '.join(cells)} FROM ({inner_sql}) AS picked"
        f" LEFT JOIN LATERAL ({levels}) AS rated(levels) ON true"
        " ORDER BY picked.x_cleared_at, picked.pk) TO STDOUT WITH (FORMAT csv)"
    )


class _CountingWriter:
    """The file COPY writes into: passes the bytes on and reports progress every `every` lines."""

    def __init__(self, handle, on_lines, every: int = 5000):
        self.handle, self.on_lines, self.every = handle, on_lines, every
        self.lines = self.reported = 0

    def write(self, data) -> int:
        self.lines += data.count(b"\n")
        if self.on_lines and self.lines - self.reported >= self.every:
            self.reported = self.lines
            self.on_lines(self.lines)
        return self.handle.write(data)


def copy_csv(handle, export: RatingExport, ratings, *, on_progress=None) -> int:
    """Write the CSV of `ratings` (BOM, header, rows) into a binary file with PostgreSQL's COPY; returns the
    number of rows. `on_progress(lines so far)` now and then (a comment may hold line breaks: a guide only)."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(tables.csv_header(columns_for(export)))
    handle.write((tables.BOM + header.getvalue()).encode("utf-8"))
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compiling this statement took longer than running it (4.5 s of 13 s for 56,000 rows).
        cursor.execute("SET LOCAL jit = off")
        cursor.copy_expert(_copy_sql(cursor, ratings, officer_of(export)), _CountingWriter(handle, on_progress))
        return cursor.rowcount


def columns_for(export: RatingExport) -> list[tables.Column]:
    return tables.rating_columns(one_officer=export.kind == UnitKind.OFFICER)


def officer_of(export: RatingExport) -> int | None:
    return export.unit_id if export.kind == UnitKind.OFFICER else None


def start_export_job(user, export: RatingExport) -> ExportJob:
    """Record a big export. The caller sends its task (core.jobs.dispatch): tasks call services, never the
    other way round."""
    return ExportJob.objects.create(user=user, kind=RATINGS, params=export.as_params())


class Cancelled(Exception):
    """The job was cancelled while it ran: stop writing."""


def run_export_job(job_id: int) -> None:
    """Build the file of a job. It is claimed first (core.jobs.claim: a job already taken by a live
    worker, done, failed or cancelled is left alone); a job whose worker died is taken again and
    written from scratch, and its file is saved once, at the end."""
    if not jobs.claim(ExportJob, job_id):
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    export = RatingExport.from_params(job.params)
    try:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            ratings = ratings_for(job.user, export)
            total = ratings.count() or 1

            def report(done: int) -> None:
                if not jobs.beat(ExportJob, job_id, 100 * done // total):
                    raise Cancelled

            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / export.filename()
                rows = rating_rows(ratings, officer_id=officer_of(export))
                columns = columns_for(export)
                if export.file_format == "csv" and copies_csv():
                    with path.open("wb") as copied:
                        count = copy_csv(copied, export, ratings, on_progress=report)
                elif export.file_format == "csv":
                    count = 0
                    with path.open("w", encoding="utf-8", newline="") as text:
                        for line in tables.stream_csv(columns, rows):
                            text.write(line)
                            count += 1
                            if count % 5000 == 0:
                                report(count)
                    count -= 1  # the header line
                else:
                    count = tables.write_rows_xlsx(path, _("Ratings"), columns, rows, on_progress=report)
                with path.open("rb") as written:
                    job.file.save(export.filename(), File(written), save=False)
    except Cancelled:
        return
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task retries, or the sweeper sends the job again
    except Exception as exc:
        logger.exception("export job %s failed", job_id)
        jobs.fail(ExportJob, job_id, str(exc))
        return
    if not jobs.finish(ExportJob, job_id, row_count=count, file=job.file.name):
        job.file.delete(save=False)  # cancelled at the last moment: keep no file nobody will fetch


def delete_expired_exports(now: datetime.datetime | None = None) -> int:
    """Delete the files of jobs finished more than settings.EXPORT_FILE_DAYS days before `now`; the job
    rows stay (their page then says the file is gone). Returns the number of files deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.EXPORT_FILE_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(finished_at__lt=cutoff).exclude(file="").only("pk", "file"):
        job.file.delete(save=False)  # a file already missing from storage is no error
        ExportJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted


def jobs_of(user):
    """The export jobs a user may see: their own, whatever their role."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)
