"""The one place that says which rows of the directory a user may see.

Each function returns a Q object for a queryset whose model reaches the unit through `prefix`, so the
same rule serves Branch (prefix ""), Team ("branch__"), Declaration ("branch__") and so on. Querysets
call these from their `for_user()`; pages, API views and the admin call `for_user()`.
"""

from django.db.models import Exists, OuterRef, Q

from .choices import Role

NOTHING = Q(pk__in=[])


def branch_filter(user, prefix: str) -> Q:
    """Branches visible to `user`; `prefix` leads from the queried model to the Branch."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_administrator:
        return Q()
    role = user.role
    if role in (Role.DEPARTMENT_STAFF, Role.INTEGRATION):
        return Q(**{f"{prefix}department_id": user.department_id})
    if role == Role.BRANCH_LEADER:
        return Q(**{f"{prefix}id": user.branch_id})
    if role == Role.TEAM_LEADER:
        return Q(**{f"{prefix}teams__id": user.team_id})
    if role == Role.OFFICER:
        return Q(**{f"{prefix}id": user.officer.branch_id})
    if role == Role.BUSINESS:
        # The organisation chart is public: businesses see units to know whom they rate.
        return Q(**{f"{prefix}is_active": True})
    return NOTHING


def officer_filter(user, prefix: str) -> Q:
    """Officers visible to `user`: their own unit's, and for an officer only themselves."""
    from .models import TeamMembership

    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_administrator:
        return Q()
    role = user.role
    if role == Role.DEPARTMENT_STAFF:
        return Q(**{f"{prefix}branch__department_id": user.department_id})
    if role == Role.BRANCH_LEADER:
        return Q(**{f"{prefix}branch_id": user.branch_id})
    if role == Role.TEAM_LEADER:
        in_team = TeamMembership.objects.filter(officer_id=OuterRef(f"{prefix}id"), team_id=user.team_id)
        return Q(Exists(in_team))
    if role == Role.OFFICER:
        return Q(**{f"{prefix}pk": user.officer_id})
    return NOTHING


def business_filter(user, prefix: str) -> Q:
    """Businesses visible to `user`: a business user's own; all of them for department-level roles."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_administrator or user.role in (Role.DEPARTMENT_STAFF, Role.INTEGRATION):
        return Q()
    if user.role == Role.BUSINESS:
        return Q(**{f"{prefix}memberships__user": user})
    return NOTHING
