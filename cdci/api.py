"""The public CDCI ranking as JSON: GET /api/v1/cdci/{year}/ranking/ (no login).

The latest published version of the year (`?version=N` for an earlier one, `?department=CODE` when
several departments published that year). An unpublished year is 404, drafts are never served.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .public_query import publication_query

NUMBER = {"allow_null": True}


class ComponentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    weight = serializers.FloatField(help_text="Weight in percent; the weights sum to 100.")


class RankedUnitSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 = highest total; equal totals (2 decimals) share a rank.")
    code = serializers.CharField()
    name = serializers.CharField()
    respondents = serializers.IntegerField(help_text="Valid responses about the unit.")
    business_score = serializers.FloatField(help_text="Survey score, 0-100.")
    assessment = serializers.FloatField(**NUMBER, help_text="The department's own assessment, 0-100.")
    total = serializers.FloatField(help_text="Blend of the survey score and the assessment, 0-100.")
    total_low = serializers.FloatField(**NUMBER, help_text="95% bootstrap interval of the total, lower end.")
    total_high = serializers.FloatField(**NUMBER)
    rank_low = serializers.IntegerField(**NUMBER, help_text="95% interval of the rank (best end).")
    rank_high = serializers.IntegerField(**NUMBER)
    statistically_tied = serializers.BooleanField(help_text="Its interval overlaps a neighbour's.")
    tier = serializers.CharField(help_text="very_good, good, fair or average.")
    tier_label = serializers.CharField()
    first_on = serializers.IntegerField(help_text="Components on which the unit ranks first.")
    total_change = serializers.FloatField(**NUMBER, help_text="Change of total on the last published year.")
    rank_change = serializers.IntegerField(**NUMBER, help_text="Positive = moved up.")
    indexes = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="Component code -> 1-10.")
    satisfaction_rate = serializers.FloatField(
        **NUMBER,
        help_text="Share of post-clearance ratings at levels 4-5 of the branch, declarations cleared that year.",
    )
    rated = serializers.IntegerField(help_text="Post-clearance ratings behind the satisfaction rate.")


class UnscoredUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RankingSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    department = serializers.CharField()
    department_name = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    versions = serializers.ListField(child=serializers.IntegerField(), help_text="Every published version.")
    published_at = serializers.DateTimeField()
    note = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    checksum = serializers.CharField(help_text="SHA-256 of the canonical JSON of the published snapshot.")
    questionnaire_version = serializers.CharField()
    settings = serializers.DictField(help_text="Method settings: blend, tiers, replicates, seed, confidence...")
    components = ComponentSerializer(many=True)
    units = RankedUnitSerializer(many=True)
    unscored_units = UnscoredUnitSerializer(many=True)


UNIT_FIELDS = tuple(RankedUnitSerializer().fields)


class RankingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cdci_ranking",
        summary="The published CDCI ranking of a year",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("version", OpenApiTypes.INT, description="An earlier version; the latest by default."),
            OpenApiParameter("department", OpenApiTypes.STR, description="Department code, when several published."),
        ],
        responses={200: RankingSerializer, 404: OpenApiResponse(description="Nothing published for that year.")},
        auth=[],
        tags=["cdci"],
    )
    def get(self, request, year: int):
        version, department = publication_query(request.query_params)
        publication, versions, _departments = selectors.publication_for(year, department=department, version=version)
        if publication is None:
            raise Http404
        snapshot = publication.snapshot
        rates = selectors.satisfaction_rates([unit["unit_id"] for unit in snapshot["units"]], year)
        view = selectors.present(snapshot, rates)
        data = {
            "year": year,
            "department": publication.campaign.department.code,
            "department_name": publication.campaign.department.name,
            "title": publication.campaign.title,
            "version": publication.version,
            "versions": [item.version for item in versions],
            "published_at": publication.published_at,
            "note": publication.note,
            "reason": publication.reason,
            "checksum": publication.checksum,
            "questionnaire_version": publication.questionnaire_version,
            "settings": snapshot["settings"],
            "components": [{**c, "weight": float(c["weight"])} for c in snapshot["components"]],
            "units": [{name: row.get(name) for name in UNIT_FIELDS} for row in view["rows"]],
            "unscored_units": snapshot.get("unscored_units", []),
        }
        return Response(RankingSerializer(data).data)
