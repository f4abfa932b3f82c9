"""Read-only admin views of derived and published figures: rollups are rebuilt, never edited; CDCI runs
and publications change only through reports.cdci_services (which audit)."""

from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .cdci_models import CdciPublication, CdciRun, DepartmentAssessment
from .models import RatingRollup, RollupState


@admin.register(RatingRollup)
class RatingRollupAdmin(ReadOnlyAdmin):
    list_display = (
        "unit_kind",
        "unit_id",
        "month",
        "channel",
        "cleared",
        "rated",
        "level_1",
        "level_2",
        "level_3",
        "level_4",
        "level_5",
    )
    list_filter = ("unit_kind", "channel", "month")
    search_fields = ("unit_id",)


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = ("rating_watermark", "declaration_watermark", "folded_at", "rebuilt_at")
    search_fields = ("rating_watermark",)


@admin.register(DepartmentAssessment)
class DepartmentAssessmentAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "unit", "score", "updated_at", "updated_by")
    list_filter = ("campaign",)
    search_fields = ("unit__name", "unit__code", "note")
    list_select_related = ("campaign", "unit", "updated_by")


@admin.register(CdciRun)
class CdciRunAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "status", "progress", "started_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("campaign__title", "error")
    list_select_related = ("campaign",)
    exclude = ("result",)  # large JSON: the draft page shows it


@admin.register(CdciPublication)
class CdciPublicationAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "version", "published_at", "published_by", "checksum")
    list_filter = ("campaign",)
    search_fields = ("campaign__title", "note", "reason", "checksum")
    list_select_related = ("campaign", "published_by")
    exclude = ("snapshot",)  # large JSON: the public page shows it
