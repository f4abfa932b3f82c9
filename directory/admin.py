from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import audit, services
from .admin_base import ReadOnlyAdmin, ScopedAdmin, is_admin_user
from .choices import Role
from .models import (
    ApiToken,
    AuditEvent,
    Branch,
    Business,
    BusinessMembership,
    CalendarDay,
    CharterCommitment,
    Department,
    Officer,
    OutboxMessage,
    Team,
    TeamMembership,
    User,
)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["code", "name", "province_tax_prefix", "branch_label", "team_label"]
    search_fields = ["code", "name"]


def _is_staff_of(user, department_id: int | None) -> bool:
    return (
        user.is_active
        and user.is_authenticated
        and user.role == Role.DEPARTMENT_STAFF
        and user.department_id is not None
        and department_id in (None, user.department_id)
    )


class DepartmentOwnedAdmin(ScopedAdmin):
    """Rows a department's own staff edit (administrators too): the department field offers theirs only,
    and every change is audited."""

    audit_prefix = ""

    def _may_edit(self, request, obj=None) -> bool:
        return is_admin_user(request.user) or _is_staff_of(request.user, obj.department_id if obj else None)

    def has_add_permission(self, request) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_edit(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not is_admin_user(request.user):
            kwargs["queryset"] = Department.objects.filter(pk=request.user.department_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = {
            name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))] for name in form.changed_data
        }
        audit.record(request.user, f"{self.audit_prefix}.{'changed' if change else 'created'}", obj, changes)

    def delete_model(self, request, obj):
        audit.record(request.user, f"{self.audit_prefix}.deleted", obj, {"deleted": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        audit.record_many(
            request.user, f"{self.audit_prefix}.deleted", [(obj, {"deleted": str(obj)}) for obj in queryset]
        )
        super().delete_queryset(request, queryset)


def _plain(value):
    """An admin form value as JSON for the audit trail (a department by its id, a date or time as text)."""
    if isinstance(value, Department):
        return value.pk
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)


@admin.register(CalendarDay)
class CalendarDayAdmin(DepartmentOwnedAdmin):
    audit_prefix = "calendar_day"
    list_display = ["date", "kind", "note", "department"]
    list_filter = ["kind", "department"]
    search_fields = ["note"]
    date_hierarchy = "date"
    list_select_related = ["department"]


@admin.register(CharterCommitment)
class CharterCommitmentAdmin(DepartmentOwnedAdmin):
    """A department may tighten or relax a timing; the set of commitments is the charter's, so only an
    administrator adds or removes one."""

    audit_prefix = "charter_commitment"
    list_display = ["code", "limit", "unit", "department"]
    list_filter = ["department", "code"]
    search_fields = ["code", "department__name"]
    list_select_related = ["department"]

    def has_add_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["department", "code"] if obj is not None else []


@admin.register(Branch)
class BranchAdmin(ScopedAdmin):
    list_display = ["code", "name", "department", "is_active"]
    list_filter = ["department", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["department"]


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["code", "name", "branch", "is_active"]
    list_filter = ["branch", "is_active"]
    search_fields = ["code", "name", "branch__name"]
    list_select_related = ["branch"]


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["team"]


@admin.register(Officer)
class OfficerAdmin(ScopedAdmin):
    list_display = ["code", "full_name", "branch", "is_active"]
    list_filter = ["branch", "is_active"]
    search_fields = ["code", "full_name"]
    list_select_related = ["branch"]
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(ScopedAdmin):
    list_display = ["officer", "team", "started_on", "ended_on"]
    list_filter = ["team__branch", "ended_on"]
    search_fields = ["officer__code", "officer__full_name", "team__name"]
    list_select_related = ["officer", "team"]
    autocomplete_fields = ["officer", "team"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(officer__in=Officer.objects.for_user(request.user))


@admin.register(Business)
class BusinessAdmin(ScopedAdmin):
    list_display = ["tax_code", "name", "province", "is_in_province", "created_at"]
    list_filter = ["is_in_province"]
    search_fields = ["tax_code", "name"]


class BusinessMembershipInline(admin.TabularInline):
    model = BusinessMembership
    extra = 0
    autocomplete_fields = ["business"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "department", "branch", "team", "is_active", "is_demo"]
    list_filter = ["role", "is_active", "is_staff", "is_demo", "department", "branch"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["department", "branch", "team", "officer"]
    inlines = [BusinessMembershipInline]
    fieldsets = [
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("Portal role and scope"),
            {"fields": ["role", "department", "branch", "team", "officer", "language", "is_demo"]},
        ),
    ]

    # Only administrators manage accounts: a department staff member must not grant themselves a role.
    def has_module_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    has_delete_permission = has_change_permission


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    # Tokens are issued by `manage.py issue_api_token` or the portal, which show the key once.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.revoke_api_token(token, actor=request.user)
        self.message_user(request, _("The selected tokens are revoked."), messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_id", "actor__username"]
    list_select_related = ["actor", "target_type"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: rows are written by services and drained by directory.tasks.send_outbox_task."""

    list_display = ["created_at", "kind", "to_email", "subject", "sent_at", "attempts"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created_at"
