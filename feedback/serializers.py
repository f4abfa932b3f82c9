from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .choices import Channel, Level, Reason, Stage, SubmissionChannel
from .models import Declaration, Rating, RatingOfficer

LEVEL_HELP = "1 very dissatisfied, 2 dissatisfied, 3 normal, 4 satisfied, 5 very satisfied"
REASONS_HELP = "Only with level 1 or 2."


# The rating body is checked for its shape only; the rules (range, known reasons, officers of the
# declaration) are feedback.rating_services', so the web form and the API give the same answers.
# These two fields carry the rules into the OpenAPI schema without enforcing them a second time.
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class LevelField(serializers.IntegerField):
    pass


# ReasonEnum is the component named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ReasonEnum"}})
class ReasonsField(serializers.ListField):
    child = serializers.CharField()


class RatedOfficerSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="officer.code")
    full_name = serializers.CharField(source="officer.full_name")
    level = serializers.ChoiceField(choices=Level.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))

    class Meta:
        model = RatingOfficer
        fields = ["code", "full_name", "level", "reasons"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    """A stored rating as the API shows it."""

    submitted_via = serializers.ChoiceField(choices=SubmissionChannel.choices)
    branch_level = serializers.ChoiceField(choices=Level.choices)
    team_level = serializers.ChoiceField(choices=Level.choices, allow_null=True)
    branch_reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    team_reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    officers = RatedOfficerSerializer(source="officer_ratings", many=True)
    submitted_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Rating
        fields = [
            "branch_level",
            "branch_reasons",
            "team_level",
            "team_reasons",
            "officers",
            "comment",
            "is_dissatisfied",
            "submitted_via",
            "submitted_at",
            "corrected_at",
        ]
        read_only_fields = fields


class OfficerRatingInSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Officer code, as in the declaration's officers")
    level = LevelField(help_text=LEVEL_HELP)
    reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)


class RatingInSerializer(serializers.Serializer):
    """The body of POST /declarations/{number}/rating/."""

    branch_level = LevelField(help_text=LEVEL_HELP)
    branch_reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)
    team_level = LevelField(required=False, allow_null=True, default=None, help_text=LEVEL_HELP)
    team_reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)
    officers = OfficerRatingInSerializer(many=True, required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="At most 2,000 characters")


class OfficerOnDeclarationSerializer(serializers.Serializer):
    code = serializers.CharField(source="officer.code")
    full_name = serializers.CharField(source="officer.full_name")
    stage = serializers.ChoiceField(choices=Stage.choices)


class DeclarationSerializer(serializers.ModelSerializer):
    business_tax_code = serializers.CharField(source="business.tax_code")
    business_name = serializers.CharField(source="business.name")
    branch_code = serializers.CharField(source="branch.code")
    branch_name = serializers.CharField(source="branch.name")
    team_code = serializers.CharField(source="team.code", allow_null=True, default=None)
    team_name = serializers.CharField(source="team.name", allow_null=True, default=None)
    officers = OfficerOnDeclarationSerializer(source="officer_links", many=True)
    rating = RatingSerializer(read_only=True, allow_null=True, help_text="Null until the declaration is rated")

    class Meta:
        model = Declaration
        fields = [
            "number",
            "type_code",
            "channel",
            "business_tax_code",
            "business_name",
            "branch_code",
            "branch_name",
            "team_code",
            "team_name",
            "officers",
            "registered_at",
            "cleared_at",
            "rating",
        ]
        read_only_fields = fields


# The two serializers below describe the ingest body and answer in the OpenAPI schema. The body itself
# is checked by feedback.ingest, which is ~20x faster than DRF field validation on 1,000-item batches.
class OfficerInSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.ChoiceField(choices=Stage.choices)


class DeclarationInSerializer(serializers.Serializer):
    number = serializers.RegexField(r"^\d{12}$")
    type_code = serializers.CharField(max_length=5)
    channel = serializers.ChoiceField(choices=Channel.choices)
    business_tax_code = serializers.CharField(help_text="10 digits, or 13 written 0100109106-001")
    business_name = serializers.CharField(required=False, help_text="Required when the business is new to the portal")
    branch_code = serializers.CharField()
    team_code = serializers.CharField(required=False, allow_blank=True)
    officers = OfficerInSerializer(many=True, required=False)
    registered_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True, required=False)


class IngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class IngestErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        help_text="Item index -> field -> messages. Nothing of the batch was written.",
    )
