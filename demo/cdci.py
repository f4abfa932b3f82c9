"""The demo's CDCI: last year's closed campaign scored and published, so the public ranking shows real-
looking figures out of the box. Idempotent: a campaign with a publication is left as it is."""

from decimal import Decimal

from cdci import services
from cdci.models import CdciPublication, DepartmentAssessment
from core.jobs import JobStatus
from surveys.models import Campaign

from .surveys import UNIT_QUALITY

DEMO_NOTE = "Kết quả CDCI năm %(year)s của Cục, đã được Hội đồng đánh giá thông qua."


def publish_demo_cdci(campaign: Campaign) -> CdciPublication | None:
    """Assess, compute and publish `campaign` (closed) once. Returns the new publication, or None when
    one existed already (nothing is changed) or the computation failed."""
    if CdciPublication.objects.filter(campaign=campaign).exists():
        return None
    if not DepartmentAssessment.objects.filter(campaign=campaign).exists():
        # The department's own view of its branches: close to how the survey sees them, not identical.
        entries = {
            unit.pk: (Decimal(str(round(82 + 12 * UNIT_QUALITY.get(unit.code, 0.3), 1))), "Đánh giá của Cục (demo).")
            for unit in campaign.units.all()
        }
        services.save_assessments(campaign, entries, actor=None)
    run = services.compute_now(campaign, actor=None)
    if run.status != JobStatus.DONE:
        return None
    # The demo publishes as the department would after reading the checklist and accepting its warnings.
    return services.publish_draft(
        run, actor=None, note=DEMO_NOTE % {"year": campaign.year}, confirmed=True, despite_warnings=True
    )
