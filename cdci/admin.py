"""Read-only admin views of the CDCI: methods, assessments, runs and publications change only through
cdci.services (which audit)."""

from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .models import CdciMethod, CdciPublication, CdciRun, DepartmentAssessment


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


@admin.register(CdciMethod)
class CdciMethodAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "normalisation", "business_weight", "replicates", "min_respondents", "updated_at")
    list_filter = ("normalisation",)
    search_fields = ("campaign__title",)
    list_select_related = ("campaign",)
