"""Pages of the yearly CDCI.

Staff (department staff of the campaign's department, administrators): compute a closed campaign, enter
the department's assessments, review the draft, publish it. A campaign outside the user's scope is 404,
so branch leaders, officers and businesses never learn a draft exists.
Public (no login): the published years, a year's ranking (latest version, earlier ones reachable), the
methodology and the Excel report.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import jobs
from core.jobs import ENDED, JobStatus
from core.spreadsheet import XLSX
from surveys.choices import CampaignStatus

from . import excel, selectors, services, tasks
from .forms import AssessmentForm, MethodForm, PublishForm
from .methodology import METHOD_SECTIONS
from .models import DepartmentAssessment
from .public_query import publication_query


def _campaign(request, pk: int):
    return get_object_or_404(selectors.cdci_campaigns_for(request.user), pk=pk)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- staff ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_cdci(request, pk: int):
    """The CDCI of one campaign: its method (fixed before the survey opened), start a computation (with a
    progress bar), the runs, the versions."""
    campaign = _campaign(request, pk)
    runs = selectors.runs_of(campaign)
    active = next((run for run in runs if run.is_active), None)
    return render(
        request,
        "cdci/campaign.html",
        {
            "campaign": campaign,
            "is_closed": campaign.status == CampaignStatus.CLOSED,
            "method": services.method_of(campaign),
            "can_reopen": services.can_reopen(campaign),
            "runs": runs,
            "active": active,
            "draft": selectors.draft_for(campaign) is not None,
            "publications": selectors.publications_of(campaign),
            "assessment_count": DepartmentAssessment.objects.filter(campaign=campaign).count(),
            "unit_count": campaign.units.count(),
        },
    )


@login_required
@require_POST
def run_start(request, pk: int):
    """Start a computation with the campaign's method: nothing of the method is chosen here."""
    campaign = _campaign(request, pk)
    try:
        run = services.start_run(campaign, actor=request.user)
        jobs.dispatch(tasks.compute_cdci_task, run.pk)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The computation has started."))
    return redirect("cdci:cdci-campaign", pk=campaign.pk)


@never_cache
@login_required
@require_GET
def run_status(request, run_id: int):
    """Progress of a run, polled by the campaign page."""
    run = selectors.run_for(request.user, run_id)
    if run is None:
        raise Http404
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "status_label": run.get_status_display(),
            "progress": run.progress,
            "error": run.error,
            "done": run.status in ENDED,
            "waiting": run.waits_for_service,
            "draft_url": reverse("cdci:cdci-draft", args=[run.campaign_id]) if run.status == JobStatus.DONE else "",
        }
    )


@login_required
@require_POST
def run_cancel(request, run_id: int):
    """Stop a queued or running computation (it stops at its next progress report); start again at will."""
    run = selectors.run_for(request.user, run_id)
    if run is None:
        raise Http404
    try:
        services.cancel_run(run, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    return redirect("cdci:cdci-campaign", pk=run.campaign_id)


@login_required
@require_http_methods(["GET", "POST"])
def assessments(request, pk: int):
    """The department's own assessment of each unit (0-100, with a note)."""
    campaign = _campaign(request, pk)
    units = list(campaign.units.order_by("name"))
    current = {row.unit_id: row for row in DepartmentAssessment.objects.filter(campaign=campaign)}
    form = AssessmentForm(request.POST or None, units=units, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.save_assessments(campaign, form.entries(), actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("Assessments saved (%(count)s changed).") % {"count": changed})
            return redirect("cdci:cdci-campaign", pk=campaign.pk)
    return render(request, "cdci/assessments.html", {"campaign": campaign, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def method(request, pk: int):
    """The campaign's method: editable while the campaign is a draft, read-only once it has opened."""
    campaign = _campaign(request, pk)
    row = services.method_of(campaign)
    locked = campaign.status != CampaignStatus.DRAFT
    components = campaign.components.order_by("position")
    form = MethodForm(request.POST or None, instance=row, components=components, locked=locked)
    if request.method == "POST" and not locked and form.is_valid():
        try:
            services.update_method(campaign, form.changes(), actor=request.user)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The method of the campaign is saved."))
            return redirect("cdci:cdci-method", pk=campaign.pk)
    elif request.method == "POST" and locked:
        messages.error(request, _("The method is locked: the survey has opened."))
    return render(request, "cdci/method.html", {"campaign": campaign, "form": form, "locked": locked})


@login_required
@require_POST
def reopen(request, pk: int):
    """Undo an early close of the survey, while no computation has started."""
    campaign = _campaign(request, pk)
    try:
        services.reopen_campaign(campaign, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("cdci:cdci-campaign", pk=campaign.pk)
    messages.success(request, _("The survey is open again."))
    return redirect("surveys:campaign-detail", pk=campaign.pk)


@login_required
@require_GET
def draft(request, pk: int):
    """Review of the draft: ranking, intervals, components by unit, why each total changed; publish form."""
    campaign = _campaign(request, pk)
    run = selectors.draft_for(campaign)
    if run is None:
        messages.error(request, _("There is no draft yet: compute the campaign first."))
        return redirect("cdci:cdci-campaign", pk=campaign.pk)
    assert run.result is not None  # a draft is a finished run
    publications = selectors.publications_of(campaign)
    rates = selectors.satisfaction_rates([unit["unit_id"] for unit in run.result["units"]], campaign.year)
    return render(
        request,
        "cdci/draft.html",
        {
            "campaign": campaign,
            "run": run,
            "view": selectors.present(run.result, rates),
            "publications": publications,
            "already_published": any(publication.run_id == run.pk for publication in publications),
            "form": PublishForm(),
            "needs_reason": bool(publications),
            "checklist": services.publication_checklist(run),
        },
    )


@login_required
@require_POST
def publish(request, pk: int):
    campaign = _campaign(request, pk)
    run = selectors.draft_for(campaign)
    form = PublishForm(request.POST)
    if run is None or not form.is_valid():
        messages.error(request, _("Write a note to go with the publication."))
        return redirect("cdci:cdci-draft", pk=campaign.pk)
    try:
        publication = services.publish_draft(
            run,
            actor=request.user,
            note=form.cleaned_data["note"],
            reason=form.cleaned_data["reason"],
            confirmed=form.cleaned_data["confirmed"],
            despite_warnings=form.cleaned_data["despite_warnings"],
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("cdci:cdci-draft", pk=campaign.pk)
    messages.success(request, _("Published as version %(version)s.") % {"version": publication.version})
    return redirect(reverse("cdci:cdci-year", args=[campaign.year]) + f"?department={campaign.department.code}")


@login_required
@require_GET
def draft_xlsx(request, pk: int):
    campaign = _campaign(request, pk)
    run = selectors.draft_for(campaign)
    if run is None or run.result is None:
        raise Http404
    result = {**run.result, "campaign": {"year": campaign.year, "title": campaign.title}}
    rates = selectors.satisfaction_rates([unit["unit_id"] for unit in result["units"]], campaign.year)
    content = excel.build_report(result, rates, draft=True)
    return _xlsx(content, f"cdci-{campaign.year}-draft.xlsx")


# --- public ------------------------------------------------------------------------------------------------------


@require_GET
def public_list(request):
    return render(request, "cdci/public_list.html", {"years": selectors.published_years()})


@require_GET
def methodology(request):
    return render(request, "cdci/methodology.html", {"sections": METHOD_SECTIONS})


def _public_publication(request, year: int):
    version, department = publication_query(request.GET)
    publication, versions, departments = selectors.publication_for(year, department=department, version=version)
    if publication is None:
        raise Http404
    return publication, versions, departments


@require_GET
def public_year(request, year: int):
    publication, versions, departments = _public_publication(request, year)
    snapshot = publication.snapshot
    rates = selectors.satisfaction_rates([unit["unit_id"] for unit in snapshot["units"]], year)
    return render(
        request,
        "cdci/public_year.html",
        {
            "publication": publication,
            "campaign": publication.campaign,
            "view": selectors.present(snapshot, rates),
            "versions": versions,
            "is_latest": publication.version == versions[0].version,
            "departments": departments,
            "department_code": publication.campaign.department.code,
        },
    )


@require_GET
def public_xlsx(request, year: int):
    publication, _versions, _departments = _public_publication(request, year)
    snapshot = publication.snapshot
    rates = selectors.satisfaction_rates([unit["unit_id"] for unit in snapshot["units"]], year)
    content = excel.build_report({**snapshot, "checksum": publication.checksum}, rates)
    code = publication.campaign.department.code
    return _xlsx(content, f"cdci-{code}-{year}-v{publication.version}.xlsx")
