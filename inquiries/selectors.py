"""Reads of inquiries, scoped to the user (Inquiry.objects.for_user), and of the public FAQ."""

from django.db.models import Case, Count, Prefetch, Q, Value, When

from core import clock
from directory.choices import Role

from .models import OPEN_STATUSES, FaqEntry, Inquiry, InquiryAttachment, InquiryEvent, InquiryExchange


def inquiries_for(user):
    """The inquiries `user` may see, with what the list shows, in a fixed number of queries.

    Inbox order: open first (escalated first for the department), then by due date; a business sees its
    newest first."""
    queryset = Inquiry.objects.for_user(user).select_related("business", "branch", "department", "assigned_to")
    if user.is_authenticated and user.role == Role.BUSINESS and not user.is_administrator:
        return queryset.order_by("-asked_at", "-id")
    is_open = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    order = [is_open.asc()]
    if user.is_authenticated and (user.is_administrator or user.role == Role.DEPARTMENT_STAFF):
        order.append(Case(When(escalated_at__isnull=False, then=Value(0)), default=Value(1)).asc())
    return queryset.order_by(*order, "due_at", "id")


def inquiry_detail_for(user):
    """One inquiry with its questions and answers, files and trail."""
    return (
        inquiries_for(user)
        .select_related("declaration", "faq_entry")
        .prefetch_related(
            Prefetch(
                "exchanges",
                queryset=InquiryExchange.objects.select_related("answered_by").prefetch_related(
                    Prefetch("attachments", queryset=InquiryAttachment.objects.order_by("id"))
                ),
            ),
            Prefetch("events", queryset=InquiryEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
    )


def inbox_counts(user) -> dict[str, int]:
    """New, assigned, overdue and escalated open inquiries the user may see, in one query."""
    now = clock.now()
    open_q = Q(status__in=OPEN_STATUSES)
    return Inquiry.objects.for_user(user).aggregate(
        new=Count("pk", filter=Q(status="new")),
        assigned=Count("pk", filter=Q(status="assigned")),
        overdue=Count("pk", filter=open_q & Q(due_at__lt=now)),
        escalated=Count("pk", filter=open_q & Q(escalated_at__isnull=False)),
    )


def public_faq():
    """The published FAQ entries: only their own texts and topic ever reach the public page."""
    return FaqEntry.objects.published().only("pk", "topic", "question", "answer", "published_at")
