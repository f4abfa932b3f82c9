"""Downloads of rating rows (`/dashboards/ratings/`): streamed when small, an ExportJob when big, whose
page polls its progress and then offers the file to its owner only."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from core.jobs import ENDED, JobStatus
from core.spreadsheet import XLSX

from ..dashboards.forms import DashboardFilterForm
from ..measures import visible_units
from ..models import UnitKind
from . import services, tables, tasks
from .models import ExportJob

DEPT, BRANCH, TEAM, OFFICER = UnitKind.DEPARTMENT, UnitKind.BRANCH, UnitKind.TEAM, UnitKind.OFFICER

LEVELS = {"department": DEPT, "branch": BRANCH, "team": TEAM, "officer": OFFICER}


@login_required
@require_GET
def ratings_export(request):
    """One row per rating of a unit over a period: streamed when small, an export job when big."""
    kind = LEVELS.get(request.GET.get("level", ""))
    file_format = request.GET.get("format", "xlsx")
    if kind is None or file_format not in services.FORMATS:
        raise Http404(_("No such export."))
    units = visible_units(request.user, kind).filter(code=request.GET.get("code", ""))
    if kind == TEAM:  # team codes are unique only inside their branch
        units = units.filter(branch__code=request.GET.get("branch", ""))
    unit = units.values_list("pk", flat=True).first()
    if unit is None:
        raise Http404(_("No such unit."))
    form = DashboardFilterForm(request.GET, units=[], unit_label="", current_unit="")
    period, channel = form.filters()
    export = services.RatingExport(kind, unit, period, channel, file_format)
    ratings = services.ratings_for(request.user, export)
    if services.rows_to_export(ratings, export) > services.sync_limit(file_format):
        job = services.start_export_job(request.user, export)
        jobs.dispatch(tasks.export_ratings_task, job.pk)
        return redirect("reports:export-job", pk=job.pk)
    if file_format == "csv" and services.copies_csv():
        handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
        services.copy_csv(handle, export, ratings)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=export.filename(), content_type=tables.CSV)
    rows = services.rating_rows(ratings, officer_id=services.officer_of(export))
    columns = services.columns_for(export)
    if file_format == "csv":
        response = StreamingHttpResponse(tables.stream_csv(columns, rows), content_type=tables.CSV)
        response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
        return response
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    tables.write_rows_xlsx(handle, _("Ratings"), columns, rows)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=export.filename(), content_type=XLSX)


def _job(request, pk: int):
    return get_object_or_404(services.jobs_of(request.user), pk=pk)


@login_required
@require_GET
def export_job(request, pk: int):
    """Progress of a big export (the page polls the JSON below), then its download link."""
    return render(request, "reports/dashboard_export_job.html", {"job": _job(request, pk)})


@never_cache
@login_required
@require_GET
def export_job_status(request, pk: int):
    job = _job(request, pk)
    downloadable = job.status == JobStatus.DONE and not job.is_expired
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": job.progress,
            "done": job.status in ENDED,
            "waiting": job.waits_for_service,
            "download_url": reverse("reports:export-job-download", args=[job.pk]) if downloadable else "",
            "expires_at": formats.date_format(timezone.localtime(job.expires_at), "SHORT_DATETIME_FORMAT")
            if downloadable and job.expires_at
            else "",
            "error": job.error,
        }
    )


@login_required
@require_GET
def export_job_download(request, pk: int):
    """The file of a finished job, to its owner only (anybody else: 404)."""
    job = _job(request, pk)
    if job.status != JobStatus.DONE or not job.file:
        raise Http404(_("The file is not ready."))
    name = job.file.name.rsplit("/", 1)[-1]
    content_type = tables.CSV if name.endswith(".csv") else XLSX
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name, content_type=content_type)


@login_required
@require_POST
def export_job_cancel(request, pk: int):
    """Stop one's own queued or running export (a running task stops at its next progress report)."""
    job = _job(request, pk)
    jobs.cancel(ExportJob, job.pk)
    return redirect("reports:export-job", pk=job.pk)


@login_required
@require_POST
def export_job_retry(request, pk: int):
    """Run one's own failed or cancelled export again."""
    job = _job(request, pk)
    jobs.retry(ExportJob, tasks.export_ratings_task, job.pk)
    return redirect("reports:export-job", pk=job.pk)
