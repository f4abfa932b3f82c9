"""DRF permission classes by portal role."""

from rest_framework.permissions import BasePermission

from .choices import Role


def has_role(user, *roles: str) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_administrator or user.role in roles


class IsIntegrationClient(BasePermission):
    """The customs clearance system pushing declarations (and administrators)."""

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, Role.INTEGRATION)


class IsBusinessUser(BasePermission):
    """A user acting for businesses (and administrators); which businesses is the queryset's business."""

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, Role.BUSINESS)


class IsDeclarantUser(BasePermission):
    """A business user only, administrators excluded: for what acts as the business itself (a rating link)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role == Role.BUSINESS)
