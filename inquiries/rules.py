"""The rules of inquiries, each written once: the deadline, who may take which step, whom to notify.

Who may do what:
- ask, follow up and rate: a business user acting for the inquiry's business;
- assign: for a branch inquiry the leader of that branch, for any inquiry department staff of its
  department, and administrators;
- answer: the assignee, and whoever may assign;
- publish in the FAQ (and withdraw): department staff of the inquiry's department, administrators.
"""

import datetime
import math

from django.db.models import Q
from django.utils import timezone

from core.working_time import WorkingCalendar, add_working_days
from directory.charter import commitments_of
from directory.choices import CharterCode, CharterUnit, Role
from directory.models import CHARTER_DEFAULTS, BusinessMembership, User

# A working day of office hours, to turn a commitment a department wrote in hours into days.
HOURS_PER_WORKING_DAY = 8


def commitment_days(department_id: int) -> int:
    """Working days the department commits to reply in writing (charter: 5), from its CharterCommitment."""
    commitment = commitments_of(department_id).get(CharterCode.INQUIRY_REPLY)
    limit, unit = (commitment.limit, commitment.unit) if commitment else CHARTER_DEFAULTS[CharterCode.INQUIRY_REPLY]
    if unit == CharterUnit.WORKING_DAYS:
        return limit
    hours = limit / 60 if unit == CharterUnit.MINUTES else limit
    return max(1, math.ceil(hours / HOURS_PER_WORKING_DAY))


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def due_at_for(asked_at: datetime.datetime, days: int, calendar: WorkingCalendar) -> datetime.datetime:
    """The end (local time) of the `days`-th working day after the day of asking (which never counts)."""
    day = add_working_days(local_date(asked_at), days, calendar)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max), timezone.get_default_timezone())


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def acts_for_business(user, inquiry) -> bool:
    return (
        _active(user)
        and user.role == Role.BUSINESS
        and BusinessMembership.objects.filter(user=user, business_id=inquiry.business_id).exists()
    )


def is_department_staff(user, department_id: int) -> bool:
    return _active(user) and user.role == Role.DEPARTMENT_STAFF and user.department_id == department_id


def may_assign(user, inquiry) -> bool:
    if not _active(user):
        return False
    if user.is_administrator or is_department_staff(user, inquiry.department_id):
        return True
    return inquiry.branch_id is not None and user.role == Role.BRANCH_LEADER and user.branch_id == inquiry.branch_id


def may_answer(user, inquiry) -> bool:
    return (_active(user) and inquiry.assigned_to_id == user.pk) or may_assign(user, inquiry)


def may_publish(user, inquiry) -> bool:
    return _active(user) and (user.is_administrator or is_department_staff(user, inquiry.department_id))


def eligible_assignees(inquiry):
    """Who may be given the inquiry: the officers and team leaders of its branch; for a department inquiry
    those of every branch of the department, and its department staff."""
    if inquiry.branch_id is not None:
        units = Q(role=Role.OFFICER, officer__branch_id=inquiry.branch_id) | Q(
            role=Role.TEAM_LEADER, team__branch_id=inquiry.branch_id
        )
    else:
        department = inquiry.department_id
        units = (
            Q(role=Role.OFFICER, officer__branch__department_id=department)
            | Q(role=Role.TEAM_LEADER, team__branch__department_id=department)
            | Q(role=Role.DEPARTMENT_STAFF, department_id=department)
        )
    return User.objects.filter(units, is_active=True).order_by("role", "last_name", "first_name", "username")


def leaders(inquiry):
    """Who runs the inquiry's inbox: the branch leaders, or the department staff for a department inquiry."""
    if inquiry.branch_id is not None:
        return User.objects.filter(role=Role.BRANCH_LEADER, branch_id=inquiry.branch_id, is_active=True)
    return department_staff(inquiry)


def department_staff(inquiry):
    return User.objects.filter(role=Role.DEPARTMENT_STAFF, department_id=inquiry.department_id, is_active=True)


def business_users(inquiry):
    return User.objects.filter(
        role=Role.BUSINESS, is_active=True, business_memberships__business_id=inquiry.business_id
    ).distinct()
