"""Paper answers: the template to download, and its upload filled in (all or nothing)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import paper_template as workbook
from .. import selectors
from ..choices import CampaignStatus
from ..forms import PaperUploadForm
from ..services.paper import PaperImportError, import_paper_responses
from .staff import campaign_in_scope, xlsx_response


@login_required
@require_http_methods(["GET", "POST"])
def paper(request, pk: int):
    """Paper answers: download the template, upload it filled in (all or nothing)."""
    campaign = campaign_in_scope(request, pk)
    selectors.campaign_progress(campaign, user=request.user)  # department staff only (PermissionDenied)
    form = PaperUploadForm(request.POST or None, request.FILES or None)
    cell_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            sheet = workbook.read_paper_upload(form.cleaned_data["file"])
            responses = import_paper_responses(campaign, sheet.rows, actor=request.user, first_row=sheet.first_row)
        except workbook.UnreadableFile as exc:
            form.add_error("file", exc.message)
        except PaperImportError as exc:
            cell_errors = [
                {
                    "row": cell.row,
                    "column": cell.column,
                    "letter": sheet.letters.get(cell.column.upper(), ""),
                    "message": cell.message,
                }
                for cell in exc.cells
            ]
        else:
            messages.success(
                request,
                _("%(responses)s paper responses imported (%(valid)s valid).")
                % {"responses": len(responses), "valid": sum(1 for response in responses if response.is_valid)},
            )
            return redirect("surveys:paper", pk=campaign.pk)
    return render(
        request,
        "surveys/paper.html",
        {
            "campaign": campaign,
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            "form": form,
            "cell_errors": cell_errors,
            "is_open": campaign.status == CampaignStatus.OPEN,
        },
        status=400 if cell_errors else 200,
    )


@login_required
@require_GET
def paper_template(request, pk: int):
    campaign = campaign_in_scope(request, pk)
    if not selectors.is_department_staff(request.user, campaign.department_id):
        raise PermissionDenied
    return xlsx_response(workbook.paper_template(campaign), f"cdci-{campaign.year}-paper-answers.xlsx")
