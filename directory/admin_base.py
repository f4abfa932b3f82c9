"""Role rules of the Django admin, shared by every app's admin.py.

Administrators manage everything; department staff may look (read-only) at the rows of their own
department; nobody else enters the admin. Rows are scoped by the models' `for_user()`.
"""

from django.contrib import admin

from .choices import Role


def is_admin_user(user) -> bool:
    return user.is_active and user.is_authenticated and user.is_administrator


def is_admin_viewer(user) -> bool:
    return is_admin_user(user) or (user.is_active and user.is_authenticated and user.role == Role.DEPARTMENT_STAFF)


class ScopedAdmin(admin.ModelAdmin):
    list_per_page = 50

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "for_user"):
            return queryset.for_user(request.user)
        return queryset if is_admin_user(request.user) else queryset.none()

    def has_module_permission(self, request) -> bool:
        return is_admin_viewer(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_viewer(request.user)

    def has_add_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)


class ReadOnlyAdmin(ScopedAdmin):
    """For rows written only by services (audit trails, ingested declarations)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
