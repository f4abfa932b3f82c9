"""The one place that says which rows of the directory a user may see.

Each function returns a Q object for a queryset whose model reaches the unit through `prefix`, so the
same rule serves Branch (prefix ""), Team ("branch__"), Declaration ("branch__") and so on. Querysets
call these from their `for_user()`; pages, API views and the admin call `for_user()`.
"""

from django.apps import apps
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
        # Looked up by name: the models use this module in their for_user(), so it cannot import them.
        memberships = apps.get_model("directory", "TeamMembership").objects
        in_team = memberships.filter(officer_id=OuterRef(f"{prefix}id"), team_id=user.team_id)
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


FIGURE_LEVELS = ("department", "branch", "team", "officer")


def figures_filter(user, level: str) -> Q:
    """Units of `level` (department, branch, team, officer) whose rating figures `user` may see, as a Q on
    that unit's own model. Department staff: their department and everything in it; a branch leader: the
    branch, its teams and officers; a team leader: the team and its officers; an officer: themselves;
    administrators: all. Businesses and integration clients: nothing (their public figure is the CDCI)."""
    if level not in FIGURE_LEVELS:
        raise ValueError(level)
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_administrator:
        return Q()
    if level == "officer":
        return officer_filter(user, prefix="")
    role = user.role
    if role == Role.DEPARTMENT_STAFF:
        department = user.department_id
        return {"department": Q(pk=department), "branch": Q(department_id=department)}.get(
            level, Q(branch__department_id=department)
        )
    if role == Role.BRANCH_LEADER:
        return {"department": NOTHING, "branch": Q(pk=user.branch_id)}.get(level, Q(branch_id=user.branch_id))
    if role == Role.TEAM_LEADER and level == "team":
        return Q(pk=user.team_id)
    return NOTHING
