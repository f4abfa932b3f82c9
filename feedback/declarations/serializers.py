"""How the API shows declarations, and the ingest body and answer as the OpenAPI schema describes them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import Channel, Stage
from ..models import Declaration
from ..ratings.serializers import RatingSerializer


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
            "received_at",
            "registered_at",
            "document_check_done_at",
            "inspection_done_at",
            "cleared_at",
            "rating",
        ]
        read_only_fields = fields


# The two serializers below describe the ingest body and answer in the OpenAPI schema. The body itself
# is checked by feedback.declarations.checks, which is ~20x faster than DRF field validation on 1,000-item batches.
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
    received_at = serializers.DateTimeField(
        allow_null=True,
        required=False,
        help_text="When customs received the declaration (charter: register within 30 min)",
    )
    registered_at = serializers.DateTimeField()
    document_check_done_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="When the document check ended (yellow and red channels)"
    )
    inspection_done_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="When the physical inspection ended (red channel)"
    )
    cleared_at = serializers.DateTimeField(allow_null=True, required=False, help_text="When the goods were released")
    released_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="Another name for cleared_at; if both are given they must be equal"
    )


class IngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


@extend_schema_field(
    {
        "anyOf": [
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            {"type": "array", "items": {"type": "string"}},
        ]
    }
)
class _ItemErrorsField(serializers.JSONField):
    """field -> messages of one item, or (under `non_field_errors`) the messages of the request as a whole."""


class IngestErrorSerializer(serializers.Serializer):
    # Documents the error answer only (never validates), so the field may shadow Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=_ItemErrorsField(),
        help_text=(
            "Item index -> field -> messages, or non_field_errors -> messages for the whole request (too many "
            "items, a body that is not JSON). Nothing of the batch was written."
        ),
    )
