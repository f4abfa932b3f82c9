"""How the API shows a dissatisfaction case, in three representations by who is asking.

- CaseSerializer / CaseDetailSerializer: customs leaders, department staff, administrators: everything.
- OfficerCaseSerializer: a rated officer: the complaint against them and their own explanation only.
- BusinessCaseSerializer: the business: public fields only (status, conclusion once answered, answer,
  its own dispute) and the public part of the trail. Never findings, internal note, corrective
  action, the verifier, escalation or any officer's explanation.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import CASE_PUBLIC_ACTIONS, CaseAction, CaseClosure, CaseConclusion, CaseStatus, Level, Reason
from ..models import CaseEvent, DissatisfactionCase, OfficerExplanation
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


class CaseEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True)
    action = serializers.ChoiceField(choices=CaseAction.choices)

    class Meta:
        model = CaseEvent
        fields = ["created_at", "actor", "actor_role", "action", "text", "details"]
        read_only_fields = fields


class PublicCaseEventSerializer(serializers.ModelSerializer):
    """A public event: what happened and when; the text is the business's own words or the answer."""

    action = serializers.ChoiceField(choices=CaseAction.choices)

    class Meta:
        model = CaseEvent
        fields = ["created_at", "action", "text"]
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
            "closed_at",
            "closed_how",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    explanations = ExplanationSerializer(many=True)
    events = CaseEventSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "explanations", "events", "allowed_actions"]
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
        ]
        read_only_fields = fields

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
    allowed_actions = serializers.SerializerMethodField()

    class Meta(BusinessCaseSerializer.Meta):
        fields = [*BusinessCaseSerializer.Meta.fields, "events", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(PublicCaseEventSerializer(many=True))
    def get_events(self, case) -> list[dict]:
        public = [event for event in case.events.all() if event.action in CASE_PUBLIC_ACTIONS]
        # many=True builds a ListSerializer whose .data is a list; the stubs type it as a Serializer's dict.
        return PublicCaseEventSerializer(public, many=True).data  # type: ignore[return-value]

    def get_allowed_actions(self, case) -> list[str]:
        return selectors.allowed_actions(case, self.context["request"].user)


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


class EmptySerializer(serializers.Serializer):
    pass
