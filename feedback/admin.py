from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from directory.admin_base import ReadOnlyAdmin, ScopedAdmin

from .models import (
    CaseEvent,
    Declaration,
    DeclarationOfficer,
    DepartmentCasePolicy,
    DissatisfactionCase,
    HandlingRating,
    OfficerExplanation,
    Rating,
    RatingCorrection,
    RatingLink,
    RatingOfficer,
)
from .ratings.links import revoke_links


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
    """Read-only: ratings come from businesses; corrections go through feedback.ratings.services.correct_rating."""

    list_display = ["declaration", "business", "branch", "branch_level", "team_level", "is_dissatisfied", "created_at"]
    list_filter = ["is_dissatisfied", "submitted_via", "branch_level", "branch"]
    search_fields = ["declaration__number", "business__tax_code", "business__name"]
    list_select_related = ["declaration", "business", "branch"]
    date_hierarchy = "created_at"
    inlines = [RatingOfficerInline, RatingCorrectionInline]


# --- dissatisfaction cases ------------------------------------------------------------------------


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "actor_role", "action", "text", "details"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OfficerExplanationInline(admin.TabularInline):
    model = OfficerExplanation
    extra = 0
    can_delete = False
    readonly_fields = ["officer", "author", "text", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DissatisfactionCase)
class DissatisfactionCaseAdmin(ReadOnlyAdmin):
    """Read-only: every step goes through feedback.cases.services, which keeps the trail."""

    list_display = ["id", "rating", "branch", "status", "escalated_at", "opened_at", "due_at", "assigned_to"]
    list_filter = ["status", "conclusion", "branch"]
    search_fields = ["rating__declaration__number", "business__tax_code", "business__name"]
    list_select_related = ["rating__declaration", "branch", "assigned_to"]
    date_hierarchy = "opened_at"
    inlines = [OfficerExplanationInline, CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    """Append-only trail: nobody adds, changes or deletes events here (the model refuses it anyway)."""

    list_display = ["created_at", "case", "action", "actor", "actor_role"]
    list_filter = ["action", "actor_role"]
    search_fields = ["case__rating__declaration__number", "actor__username", "text"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        # Events have no scope of their own: they follow their case's.
        cases = DissatisfactionCase.objects.for_user(request.user)
        return CaseEvent.objects.filter(case__in=cases.values("pk"))


@admin.register(HandlingRating)
class HandlingRatingAdmin(ReadOnlyAdmin):
    """The businesses' ratings of how complaints were handled: written by feedback.cases.services only."""

    list_display = ["rated_at", "case", "branch", "level"]
    list_filter = ["level", "branch"]
    search_fields = ["case__rating__declaration__number", "case__business__tax_code", "case__business__name"]
    list_select_related = ["case", "branch"]
    date_hierarchy = "rated_at"

    def get_queryset(self, request):
        # Scoped like the case it belongs to.
        cases = DissatisfactionCase.objects.for_user(request.user)
        return HandlingRating.objects.filter(case__in=cases.values("pk"))


@admin.register(DepartmentCasePolicy)
class DepartmentCasePolicyAdmin(ScopedAdmin):
    list_display = ["department", "due_working_days"]
    search_fields = ["department__code", "department__name"]


@admin.register(RatingLink)
class RatingLinkAdmin(ScopedAdmin):
    """One-click rating links: seen and revoked here, never made (the secret is shown only in its URL)."""

    list_display = ["declaration", "user", "created_at", "expires_at", "used_at", "revoked_at"]
    list_filter = ["used_at", "revoked_at"]
    search_fields = ["declaration__number", "user__username"]
    list_select_related = ["declaration", "user"]
    readonly_fields = ["declaration", "user", "created_at", "expires_at", "used_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected rating links"))
    def revoke(self, request, queryset):
        revoke_links(queryset, actor=request.user)
        self.message_user(request, _("The selected rating links are revoked."), messages.SUCCESS)
