from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .models import Declaration, DeclarationOfficer


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
