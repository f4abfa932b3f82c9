"""Dialogue conferences: record one, the problems raised at it (each an inquiry) and their resolution, and
the yearly summary the articles report ("130 problems solved through 2 symposiums, 13 branch conferences
and 4 leader delegations")."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core import clock
from directory import audit
from directory.choices import Role
from directory.models import Branch, Business, User

from .choices import ConferenceFormat, ConferenceLevel, InquiryAction, InquiryChannel, InquiryTopic
from .models import ConferenceProblem, DialogueConference, Inquiry
from .services import create_inquiry, record_event, required_text


def may_record(user) -> bool:
    """Department staff (of their department) and administrators record conferences."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_administrator or (user.role == Role.DEPARTMENT_STAFF and user.department_id))
    )


def record_conference(
    actor: User,
    *,
    department,
    level,
    format,
    held_on,
    title,
    branch: Branch | None = None,
    businesses: Iterable[Business] = (),
    notes: str = "",
) -> DialogueConference:
    if not may_record(actor) or (not actor.is_administrator and actor.department_id != department.pk):
        raise PermissionDenied(_("Only department staff can record a dialogue conference."))
    errors: dict[str, list[str]] = {}
    if level not in ConferenceLevel.values:
        errors["level"] = [_("Choose the level: department or branch.")]
    if format not in ConferenceFormat.values:
        errors["format"] = [_("Choose the format of the dialogue.")]
    if not isinstance(held_on, datetime.date):
        errors["held_on"] = [_("Give the date of the conference.")]
    try:
        title = required_text(title, "title", _("Give the conference a title."), 200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if level == ConferenceLevel.BRANCH and (branch is None or branch.department_id != department.pk):
        errors["branch"] = [_("A branch conference needs a branch of the department.")]
    if level == ConferenceLevel.DEPARTMENT and branch is not None:
        errors["branch"] = [_("A department conference belongs to no branch.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        conference = DialogueConference.objects.create(
            department=department,
            branch=branch,
            level=level,
            format=format,
            held_on=held_on,
            title=title,
            notes=(notes or "").strip(),
            recorded_by=actor,
        )
        conference.businesses.set(list(businesses))
        audit.record(
            actor,
            "conference.recorded",
            conference,
            {"level": level, "format": format, "held_on": held_on.isoformat(), "title": title},
        )
    return conference


def raise_problem(
    conference: DialogueConference,
    actor: User,
    *,
    inquiry: Inquiry | None = None,
    business: Business | None = None,
    subject=None,
    question=None,
    topic=None,
) -> ConferenceProblem:
    """A problem raised at the conference: an existing inquiry of the conference's department, or a new one
    asked there on behalf of a business present (routed like any inquiry, with the same deadline)."""
    if not may_record(actor) or (not actor.is_administrator and actor.department_id != conference.department_id):
        raise PermissionDenied(_("Only department staff can record the problems of a conference."))
    with transaction.atomic():
        # Locking the conference makes two staff recording the same problem wait for each other.
        DialogueConference.objects.select_for_update().filter(pk=conference.pk).first()
        if inquiry is None:
            errors: dict[str, list[str]] = {}
            if business is None or not conference.businesses.filter(pk=business.pk).exists():
                errors["business"] = [_("Choose a business present at the conference.")]
            for field, value, missing in (
                ("subject", subject, _("Write a subject.")),
                ("question", question, _("Write the problem raised.")),
            ):
                try:
                    required_text(value, field, missing, 200 if field == "subject" else 5000)
                except ValidationError as exc:
                    errors.update(exc.message_dict)
            if topic not in InquiryTopic.values:
                errors["topic"] = [_("Choose the topic.")]
            if errors:
                raise ValidationError(errors)
            inquiry = create_inquiry(
                actor,
                business,
                conference.department,
                conference.branch,
                subject=subject.strip(),
                question=question.strip(),
                topic=topic,
                declaration=None,
                checked=[],
                channel=InquiryChannel.CONFERENCE,
                now=None,
            )
        elif inquiry.department_id != conference.department_id:
            raise ValidationError({"inquiry": [_("The inquiry belongs to another department.")]})
        if ConferenceProblem.objects.filter(conference=conference, inquiry=inquiry).exists():
            raise ValidationError({"inquiry": [_("This problem is already recorded for the conference.")]})
        problem = ConferenceProblem.objects.create(conference=conference, inquiry=inquiry)
        record_event(
            inquiry,
            actor,
            InquiryAction.RAISED_AT_CONFERENCE,
            conference.title,
            {"conference_id": conference.pk, "held_on": conference.held_on.isoformat()},
        )
    return problem


def resolve_problem(problem: ConferenceProblem, resolution, actor: User) -> ConferenceProblem:
    """Record how customs solved the problem (the inquiry's own answer goes through its workflow)."""
    conference = problem.conference
    if not may_record(actor) or (not actor.is_administrator and actor.department_id != conference.department_id):
        raise PermissionDenied(_("Only department staff can record the resolution of a problem."))
    resolution = required_text(resolution, "resolution", _("Say how the problem was solved."))
    with transaction.atomic():
        problem = ConferenceProblem.objects.select_for_update().get(pk=problem.pk)
        problem.resolution = resolution
        problem.solved_at = problem.solved_at or clock.now()
        problem.save(update_fields=["resolution", "solved_at"])
        audit.record(actor, "conference_problem.resolved", problem, {"resolution": resolution})
    return problem


def yearly_summary(conferences, year: int) -> dict:
    """Counts for one year over the given (scoped) conferences: by level and format, problems raised and solved.
    Two grouped queries, whatever the number of conferences."""
    of_year = conferences.filter(held_on__year=year)
    by_kind = {
        (row["level"], row["format"]): row["count"]
        for row in of_year.values("level", "format").annotate(count=Count("pk")).order_by()
    }
    problems = ConferenceProblem.objects.filter(conference__in=of_year).aggregate(
        raised=Count("pk"), solved=Count("pk", filter=Q(solved_at__isnull=False))
    )
    return {
        "year": year,
        "conferences": sum(by_kind.values()),
        "symposiums": sum(count for (_level, kind), count in by_kind.items() if kind == ConferenceFormat.SYMPOSIUM),
        "delegations": sum(count for (_level, kind), count in by_kind.items() if kind == ConferenceFormat.DELEGATION),
        "department_conferences": by_kind.get((ConferenceLevel.DEPARTMENT, ConferenceFormat.CONFERENCE), 0),
        "branch_conferences": by_kind.get((ConferenceLevel.BRANCH, ConferenceFormat.CONFERENCE), 0),
        "problems_raised": problems["raised"],
        "problems_solved": problems["solved"],
    }
