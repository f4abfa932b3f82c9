"""Who may run surveys: the checks every service makes of its actor, and appointing survey
administrators (department staff who may manage invitations, and so see who was invited and answered).

`actor` None is the system itself (a Celery task, a management command): no permission is checked.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Department, User

from ..models import SurveyAdministrator
from ..selectors import is_department_staff, is_survey_admin


def require_staff(actor: User | None, department_id: int) -> None:
    if actor is not None and not is_department_staff(actor, department_id):
        raise PermissionDenied(_("Only staff of the department can manage its surveys."))


def require_survey_admin(actor: User | None, department_id: int) -> None:
    if actor is not None and not is_survey_admin(actor, department_id):
        raise PermissionDenied(_("Only a survey administrator can manage invitations."))


@transaction.atomic
def grant_survey_administrator(user: User, department: Department, *, actor: User | None) -> SurveyAdministrator:
    """Let a staff member of `department` manage invitations (and so see who was invited and answered)."""
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(_("Only an administrator can appoint survey administrators."))
    if not is_department_staff(user, department.pk) or user.is_administrator:
        raise ValidationError({"user": _("A survey administrator must be staff of the department.")})
    grant, created = SurveyAdministrator.objects.get_or_create(department=department, user=user)
    if created:
        audit.record(actor, "survey.admin_granted", grant, {"user": user.username, "department": department.code})
    return grant


@transaction.atomic
def revoke_survey_administrator(user: User, department: Department, *, actor: User | None) -> None:
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(_("Only an administrator can appoint survey administrators."))
    for grant in SurveyAdministrator.objects.filter(department=department, user=user):
        audit.record(actor, "survey.admin_revoked", grant, {"user": user.username, "department": department.code})
        grant.delete()
