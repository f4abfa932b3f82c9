"""Exports of rating rows (one row per rating), scoped to a unit the user may see.

Up to settings.EXPORT_SYNC_MAX_ROWS (50,000) rows the view streams the file at once; beyond, an
ExportJob row is written and `export_ratings_task` builds the file under MEDIA_ROOT with openpyxl's
write-only mode (memory stays flat), reporting its progress on the row. Only the owner may download it.
"""

import datetime
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import InterfaceError, OperationalError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from core import jobs
from feedback.choices import Channel
from feedback.models import Rating, RatingOfficer

from ..measures import Period, visible_units
from ..models import UnitKind
from . import tables
from .models import ExportJob

logger = logging.getLogger(__name__)

RATINGS = "ratings"
FORMATS = ("xlsx", "csv")
CHUNK = 2000


def sync_limit() -> int:
    return settings.EXPORT_SYNC_MAX_ROWS


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
        rated = RatingOfficer.objects.filter(rating=OuterRef("pk"), officer_id=export.unit_id)
        ratings = ratings.filter(Exists(rated))
    if export.channel:
        ratings = ratings.filter(declaration__channel=export.channel)
    return ratings.order_by("declaration__cleared_at", "pk")


def rating_rows(ratings, *, officer_id: int | None = None):
    """One list of values per rating, read in chunks with the officers' levels prefetched per chunk."""
    channels = dict(Channel.choices)
    officers = RatingOfficer.objects.select_related("officer").order_by("id")
    if officer_id is not None:
        officers = officers.filter(officer_id=officer_id)
    queryset = (
        ratings.select_related("declaration", "branch", "team")
        .only(
            "declaration__number",
            "declaration__cleared_at",
            "declaration__channel",
            "created_at",
            "branch__name",
            "team__name",
            "branch_level",
            "team_level",
            "comment",
        )
        .prefetch_related(Prefetch("officer_ratings", queryset=officers))
    )
    for rating in queryset.iterator(chunk_size=CHUNK):
        officer_rows = list(rating.officer_ratings.all())
        if officer_id is not None:
            levels = officer_rows[0].level if officer_rows else None
        else:
            levels = "; ".join(f"{row.officer.full_name} ({row.officer.code}): {row.level}" for row in officer_rows)
        yield [
            rating.declaration.number,
            rating.declaration.cleared_at,
            rating.created_at,
            str(channels.get(rating.declaration.channel, rating.declaration.channel)),
            rating.branch.name,
            rating.team.name if rating.team_id else "",
            rating.branch_level,
            rating.team_level,
            levels,
            rating.comment,
        ]


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
                if export.file_format == "csv":
                    count = 0
                    with path.open("w", encoding="utf-8", newline="") as handle:
                        for line in tables.stream_csv(columns, rows):
                            handle.write(line)
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


def jobs_of(user):
    """The export jobs a user may see: their own, whatever their role."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)
