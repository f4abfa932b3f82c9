"""How the API shows a dissatisfaction case, in three representations by who is asking.

- CaseSerializer / CaseDetailSerializer: customs leaders, department staff, administrators: everything.
- OfficerCaseSerializer: a rated officer: the complaint against them and their own explanation only.
- BusinessCaseSerializer: the business: public fields only (status, conclusion once answered, answer,
  its own dispute and ratings of the handling, the next step and its date) and the public part of the
  trail (with the messages, by side, never by official). Never findings, internal notes (fields or
  events), corrective action, the verifier, the escalation flag or any officer's explanation; that the
  department reviews a disputed case is the next step the business is told.
- MessageSerializer: one message of the conversation (GET/POST /cases/{id}/messages/).
"""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.choices import Role

from ..choices import CASE_PUBLIC_ACTIONS, CaseAction, CaseClosure, CaseConclusion, CaseStatus, Level, Reason
from ..models import CaseAttachment, CaseEvent, DissatisfactionCase, HandlingRating, OfficerExplanation
from . import rules, selectors


class CaseItemSerializer(serializers.Serializer):
    """One thing rated 1 or 2: the branch, the team or an officer."""

    kind = serializers.ChoiceField(choices=[("branch", "branch"), ("team", "team"), ("officer", "officer")])
    code = serializers.CharField(required=False)
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))


class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class BusinessRefSerializer(serializers.Serializer):
    tax_code = serializers.CharField()
    name = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class AttachmentSerializer(serializers.ModelSerializer):
    """A file attached to a message: its name and size, and the API address that downloads it."""

    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = CaseAttachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return reverse("case-attachment", kwargs={"pk": attachment.case_id, "attachment_id": attachment.pk})


def side_of(event) -> str:
    """Who wrote an event, as the business may know it: itself, or customs (never which official)."""
    return "business" if event.actor_role == Role.BUSINESS else "customs"


class CaseEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True)
    action = serializers.ChoiceField(choices=CaseAction.choices)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = CaseEvent
        fields = ["created_at", "actor", "actor_role", "action", "text", "details", "attachments"]
        read_only_fields = fields


class PublicCaseEventSerializer(serializers.ModelSerializer):
    """A public event: what happened and when, and who wrote it (the business or customs); the text is the
    business's own words, a message or the answer."""

    action = serializers.ChoiceField(choices=CaseAction.choices)
    side = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "created_at", "action", "side", "text", "attachments"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[("business", "business"), ("customs", "customs")]))
    def get_side(self, event) -> str:
        return side_of(event)


class MessageSerializer(serializers.ModelSerializer):
    """One message (or, for customs, internal note) of a case's conversation. `author` is named to customs
    only; the business learns which side wrote."""

    kind = serializers.ChoiceField(source="action", choices=[("message", "message"), ("note", "note")])
    side = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "created_at", "kind", "side", "author", "text", "attachments"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[("business", "business"), ("customs", "customs")]))
    def get_side(self, event) -> str:
        return side_of(event)

    def get_author(self, event) -> str | None:
        if rules.view_kind(self.context["request"].user) != rules.CUSTOMS_VIEW or event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.username


class MessagePageSerializer(serializers.Serializer):
    """A page of the conversation (for the schema: the API's page-number pagination around the messages)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MessageSerializer(many=True)


class HandlingRatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandlingRating
        fields = ["level", "comment", "rated_at", "answer_event"]
        read_only_fields = fields


class ExplanationSerializer(serializers.ModelSerializer):
    officer_code = serializers.CharField(source="officer.code")
    officer_name = serializers.CharField(source="officer.full_name")

    class Meta:
        model = OfficerExplanation
        fields = ["officer_code", "officer_name", "text", "created_at"]
        read_only_fields = fields


class _CaseBase(serializers.ModelSerializer):
    declaration = serializers.CharField(source="rating.declaration.number")
    branch = UnitSerializer()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    comment = serializers.CharField(source="rating.comment")


class CaseSerializer(_CaseBase):
    """A case as customs leaders and the department see it in the inbox."""

    team = UnitSerializer(allow_null=True)
    business = BusinessRefSerializer()
    items = CaseItemSerializer(many=True)
    assigned_to = UserRefSerializer(allow_null=True)
    is_overdue = serializers.BooleanField()
    is_escalated = serializers.BooleanField()
    conclusion = serializers.ChoiceField(choices=CaseConclusion.choices, allow_blank=True)
    closed_how = serializers.ChoiceField(choices=CaseClosure.choices, allow_blank=True)

    class Meta:
        model = DissatisfactionCase
        fields = [
            "id",
            "declaration",
            "business",
            "branch",
            "team",
            "status",
            "is_overdue",
            "is_escalated",
            "escalated_at",
            "opened_at",
            "due_at",
            "items",
            "comment",
            "assigned_to",
            "assigned_at",
            "findings",
            "findings_at",
            "conclusion",
            "corrective_action",
            "internal_note",
            "concluded_at",
            "answer",
            "answered_at",
            "first_answered_at",
            "answer_working_days",
            "disputed_at",
            "dispute_reason",
            "dispute_due_at",
            "closed_at",
            "closed_how",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    explanations = ExplanationSerializer(many=True)
    events = CaseEventSerializer(many=True)
    handling_ratings = HandlingRatingSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "explanations", "events", "handling_ratings", "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, case) -> list[str]:
        return selectors.allowed_actions(case, self.context["request"].user)


class OfficerCaseSerializer(_CaseBase):
    """What a rated officer sees: the complaint about them (branch, team and their own line) and their explanation."""

    items = serializers.SerializerMethodField()
    my_explanation = serializers.SerializerMethodField()

    class Meta:
        model = DissatisfactionCase
        fields = ["id", "declaration", "branch", "status", "opened_at", "due_at", "items", "comment", "my_explanation"]
        read_only_fields = fields

    @extend_schema_field(CaseItemSerializer(many=True))
    def get_items(self, case) -> list[dict]:
        return rules.items_seen_by_officer(case.items, self.context["request"].user.officer_id)

    def get_my_explanation(self, case) -> str | None:
        officer_id = self.context["request"].user.officer_id
        mine = [row.text for row in case.explanations.all() if row.officer_id == officer_id]
        return mine[0] if mine else None


class OfficerCaseDetailSerializer(OfficerCaseSerializer):
    allowed_actions = serializers.SerializerMethodField()

    class Meta(OfficerCaseSerializer.Meta):
        fields = [*OfficerCaseSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, case) -> list[str]:
        return selectors.allowed_actions(case, self.context["request"].user)


class BusinessCaseSerializer(_CaseBase):
    """The business's view: PUBLIC fields only; see the module docstring for what never appears here."""

    items = CaseItemSerializer(many=True)
    conclusion = serializers.SerializerMethodField()
    answer = serializers.SerializerMethodField()
    dispute_until = serializers.SerializerMethodField()
    # Blank until the case closes (the schema must say so: the model's choices do not include "").
    closed_how = serializers.ChoiceField(choices=CaseClosure.choices, allow_blank=True, read_only=True)
    # What the business waits for, and by when (after a dispute: the department's review and the new date).
    next_step = serializers.SerializerMethodField()
    next_step_text = serializers.SerializerMethodField()
    next_due_at = serializers.SerializerMethodField()

    class Meta:
        model = DissatisfactionCase
        fields = [
            "id",
            "declaration",
            "branch",
            "status",
            "opened_at",
            "due_at",
            "items",
            "comment",
            "conclusion",
            "answer",
            "answered_at",
            "dispute_until",
            "disputed_at",
            "dispute_reason",
            "closed_at",
            "closed_how",
            "next_step",
            "next_step_text",
            "next_due_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[
                (code, code)
                for code in (
                    rules.NEXT_BRANCH_ANSWERS,
                    rules.NEXT_DEPARTMENT_REVIEWS,
                    rules.NEXT_YOUR_DECISION,
                    rules.NEXT_NOTHING,
                )
            ]
        )
    )
    def get_next_step(self, case) -> str:
        return rules.business_next_step(case)[0]

    def get_next_step_text(self, case) -> str:
        return next_step_text(case)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_due_at(self, case) -> str | None:
        due = rules.business_next_step(case)[1]
        return None if due is None else serializers.DateTimeField().to_representation(timezone.localtime(due))

    @extend_schema_field(serializers.ChoiceField(choices=CaseConclusion.choices, allow_null=True))
    def get_conclusion(self, case) -> str | None:
        # Shown once answered: a conclusion being revised after a dispute is not the business's yet.
        if case.status in rules.ANSWERED_STATUSES:
            return case.conclusion
        return None

    def get_answer(self, case) -> str | None:
        return case.answer if case.answered_at else None

    def get_dispute_until(self, case) -> str | None:
        deadline = rules.dispute_answer_period(case)
        if deadline is None:
            return None
        return serializers.DateTimeField().to_representation(timezone.localtime(deadline))


class BusinessCaseDetailSerializer(BusinessCaseSerializer):
    events = serializers.SerializerMethodField()
    handling_ratings = HandlingRatingSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(BusinessCaseSerializer.Meta):
        fields = [*BusinessCaseSerializer.Meta.fields, "events", "handling_ratings", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(PublicCaseEventSerializer(many=True))
    def get_events(self, case) -> list[dict]:
        public = [event for event in case.events.all() if event.action in CASE_PUBLIC_ACTIONS]
        # many=True builds a ListSerializer whose .data is a list; the stubs type it as a Serializer's dict.
        return PublicCaseEventSerializer(public, many=True).data  # type: ignore[return-value]

    def get_allowed_actions(self, case) -> list[str]:
        return selectors.allowed_actions(case, self.context["request"].user)


def next_step_text(case) -> str:
    """The next step in the business's words (the page and the API say the same)."""
    step, due = rules.business_next_step(case)
    date = formats.date_format(timezone.localtime(due), "SHORT_DATE_FORMAT") if due is not None else ""
    if step == rules.NEXT_BRANCH_ANSWERS:
        return _("The branch is verifying your complaint and will answer you by %(date)s.") % {"date": date}
    if step == rules.NEXT_DEPARTMENT_REVIEWS and due is not None:
        return _(
            "Your case has been sent to the department, which reviews it with the branch. "
            "You will receive a new answer by %(date)s."
        ) % {"date": date}
    if step == rules.NEXT_DEPARTMENT_REVIEWS:
        return _("Your rating of the handling has been sent to the department, which reviews the case.")
    if step == rules.NEXT_YOUR_DECISION and case.disputed_at is not None:
        # The one dispute is used: what is left is to rate the new answer's handling, or accept it.
        return _(
            "Read the new answer and rate how your complaint was handled (1 or 2 sends it to the department); "
            "accept the answer, or the case closes on %(date)s."
        ) % {"date": date}
    if step == rules.NEXT_YOUR_DECISION:
        return _(
            "Read the answer and rate how your complaint was handled; accept the answer, or dispute it until "
            "%(date)s. Without a word from you the case closes then."
        ) % {"date": date}
    return _("The case is closed.")


def serializer_class_for(user, *, detail: bool):
    """The representation of a case for this user: business, rated officer, or customs (everything)."""
    kind = rules.view_kind(user)
    if kind == rules.BUSINESS_VIEW:
        return BusinessCaseDetailSerializer if detail else BusinessCaseSerializer
    if kind == rules.OFFICER_VIEW:
        return OfficerCaseDetailSerializer if detail else OfficerCaseSerializer
    return CaseDetailSerializer if detail else CaseSerializer


# --- request bodies of the workflow actions --------------------------------------------------------


class AssignInSerializer(serializers.Serializer):
    verifier = serializers.IntegerField(help_text="Id of a team leader or leader of the case's branch.")


class TextInSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ConcludeInSerializer(serializers.Serializer):
    conclusion = serializers.CharField(help_text="substantiated, partly or not_substantiated")
    corrective_action = serializers.CharField(required=False, allow_blank=True, default="")
    internal_note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Never shown to the business."
    )


class DisputeInSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class MessageInSerializer(serializers.Serializer):
    """A message, sent as multipart/form-data when files go with it (a JSON body carries text only)."""

    text = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False, default="")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="PDF, JPEG or PNG files, checked by content; size and number limited (400 naming `files`).",
    )
    internal = serializers.BooleanField(
        required=False, default=False, help_text="An internal note: customs only, never shown to the business."
    )


class HandlingRatingInSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        help_text="5 very satisfied ... 1 very dissatisfied; 1 or 2 sends the case to the department."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class EmptySerializer(serializers.Serializer):
    pass
