"""What the inquiries API takes and gives. A business sees its own inquiries with the questions and answers;
customs users see the same plus the routing and assignee. Nobody gets the trail's internal details here."""

from rest_framework import serializers

from .choices import InquiryTopic
from .services import SUBJECT_MAX_LENGTH, TEXT_MAX_LENGTH


class InquiryInSerializer(serializers.Serializer):
    """The question as declaration software sends it; the service checks it again and routes it."""

    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH)
    question = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    topic = serializers.ChoiceField(choices=InquiryTopic.choices)
    declaration = serializers.RegexField(r"^[0-9]{12}$", required=False, allow_blank=True, allow_null=True)
    business = serializers.CharField(
        required=False, allow_blank=True, help_text="Tax code; only for a user acting for several businesses."
    )


class ExchangeSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class InquirySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    topic = serializers.CharField()
    status = serializers.CharField()
    declaration = serializers.CharField(source="declaration.number", allow_null=True, default=None)
    branch = serializers.CharField(source="branch.code", allow_null=True, default=None)
    asked_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    exchanges = ExchangeSerializer(many=True)
