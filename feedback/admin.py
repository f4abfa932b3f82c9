from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .models import Declaration, DeclarationOfficer, Rating, RatingCorrection, RatingOfficer


class DeclarationOfficerInline(admin.TabularInline):
    model = DeclarationOfficer
    extra = 0
    can_delete = False
    readonly_fields = ["officer", "stage", "team"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    """Read-only: declarations change only through the clearance system's ingest, which audits them."""

    list_display = ["number", "type_code", "channel", "business", "branch", "team", "registered_at", "cleared_at"]
    list_filter = ["channel", "branch", "type_code"]
    search_fields = ["number", "business__tax_code", "business__name"]
    list_select_related = ["business", "branch", "team"]
    date_hierarchy = "cleared_at"
    inlines = [DeclarationOfficerInline]


class RatingOfficerInline(admin.TabularInline):
    model = RatingOfficer
    extra = 0
    can_delete = False
    readonly_fields = ["officer", "team", "level", "reasons"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RatingCorrectionInline(admin.TabularInline):
    model = RatingCorrection
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "corrected_by", "reason", "changes"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Read-only: ratings come from businesses; corrections go through rating_services.correct_rating."""

    list_display = ["declaration", "business", "branch", "branch_level", "team_level", "is_dissatisfied", "created_at"]
    list_filter = ["is_dissatisfied", "submitted_via", "branch_level", "branch"]
    search_fields = ["declaration__number", "business__tax_code", "business__name"]
    list_select_related = ["declaration", "business", "branch"]
    date_hierarchy = "created_at"
    inlines = [RatingOfficerInline, RatingCorrectionInline]
