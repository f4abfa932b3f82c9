from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .models import DialogueConference, FaqEntry, Inquiry, InquiryEvent


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin):
    """Read-only: inquiries change only through inquiries.services, which leaves their trail."""

    list_display = ["pk", "subject", "topic", "business", "department", "branch", "status", "due_at"]
    list_filter = ["status", "topic", "channel"]
    search_fields = ["subject", "business__name", "business__tax_code"]
    list_select_related = ["business", "department", "branch"]


@admin.register(InquiryEvent)
class InquiryEventAdmin(ReadOnlyAdmin):
    list_display = ["inquiry", "action", "actor", "actor_role", "created_at"]
    list_filter = ["action"]


@admin.register(FaqEntry)
class FaqEntryAdmin(ReadOnlyAdmin):
    list_display = ["question", "topic", "published_at", "withdrawn_at"]
    list_filter = ["topic"]


@admin.register(DialogueConference)
class DialogueConferenceAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "title", "level", "format", "department", "branch"]
    list_filter = ["level", "format"]
