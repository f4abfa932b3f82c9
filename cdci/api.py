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


class ComponentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    weight = serializers.FloatField(help_text="Weight in percent; the weights sum to 100.")


class RankedUnitSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 = highest total; equal totals (2 decimals) share a rank.")
    code = serializers.CharField()
    name = serializers.CharField()
    respondents = serializers.IntegerField(
        allow_null=True, help_text="Valid responses about the unit (null when fewer than 5: suppressed)."
    )
    effective_n = serializers.FloatField(
        allow_null=True, help_text="Effective sample size (Kish) after the segment weights, 1 decimal."
    )
    business_score = serializers.FloatField(allow_null=True, help_text="Survey score, 0-100.")
    assessment = serializers.FloatField(allow_null=True, help_text="The department's own assessment, 0-100.")
    total = serializers.FloatField(allow_null=True, help_text="Blend of the survey score and the assessment, 0-100.")
    total_low = serializers.FloatField(
        allow_null=True,
        help_text="Bootstrap interval of the total at settings.confidence, lower end; called a confidence "
        "interval only when coverage.passed.",
    )
    total_high = serializers.FloatField(allow_null=True)
    rank_low = serializers.IntegerField(allow_null=True, help_text="Rank range under resampling (sampling), best end.")
    rank_high = serializers.IntegerField(allow_null=True, help_text="Rank range under resampling, worst end.")
    method_rank_median = serializers.FloatField(
        allow_null=True, help_text="Median rank when the weights, blend, standardisation and aggregation vary."
    )
    method_rank_low = serializers.IntegerField(
        allow_null=True, help_text="90% range of the rank under method variation."
    )
    method_rank_high = serializers.IntegerField(allow_null=True)
    tier = serializers.CharField(help_text="very_good, good, fair or average.")
    tier_label = serializers.CharField()
    first_on = serializers.IntegerField(help_text="Components on which the unit ranks first.")
    total_change = serializers.FloatField(allow_null=True, help_text="Change of total on the last published year.")
    rank_change = serializers.IntegerField(allow_null=True, help_text="Positive = moved up.")
    indexes = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="Component code -> 1-10.")
    satisfaction_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share of post-clearance ratings at levels 4-5 of the branch, declarations cleared that year.",
    )
    rated = serializers.IntegerField(help_text="Post-clearance ratings behind the satisfaction rate.")


class UnscoredUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ComparisonSerializer(serializers.Serializer):
    ahead = serializers.CharField(help_text="Code of the unit ranked higher.")
    behind = serializers.CharField(help_text="Code of the unit ranked just below.")
    difference = serializers.FloatField(allow_null=True, help_text="Total of `ahead` minus total of `behind`.")
    difference_low = serializers.FloatField(
        allow_null=True,
        help_text="Simultaneous interval of the difference (adjusted for the number of pairs), low end.",
    )
    difference_high = serializers.FloatField(allow_null=True)
    flip_share = serializers.FloatField(allow_null=True, help_text="Share of resamples (0-1) in which the order flips.")
    distinguishable = serializers.BooleanField(help_text="True when `ahead` is ahead; false: cannot be told apart.")
    sentence = serializers.CharField(help_text="The comparison in plain words, in the request's language.")


class CoverageSerializer(serializers.Serializer):
    normalisation = serializers.CharField(required=False)
    min_coverage = serializers.FloatField(allow_null=True, required=False)
    passed = serializers.BooleanField(help_text="Whether the intervals passed the coverage study.")
    command = serializers.CharField(required=False, help_text="The command that produced the study.")


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
    settings = serializers.DictField(
        help_text="Method settings fixed before the survey opened: normalisation, blend, assessment policy, "
        "component weights, replicates, minimum respondents, confidence, seed, sensitivity..."
    )
    components = ComponentSerializer(many=True)
    units = RankedUnitSerializer(many=True)
    unscored_units = UnscoredUnitSerializer(many=True)
    not_enough_units = UnscoredUnitSerializer(
        many=True, help_text="Units with fewer valid responses than the minimum: not ranked, no figures."
    )
    comparisons = ComparisonSerializer(many=True, help_text="Adjacent units in rank order; empty without intervals.")
    coverage = CoverageSerializer(allow_null=True, help_text="Status of the coverage study of the intervals.")


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
            "unscored_units": view["unscored"],
            "not_enough_units": [{"code": unit["code"], "name": unit["name"]} for unit in view["not_enough"]],
            "comparisons": view["comparisons"],
            "coverage": snapshot.get("coverage"),
        }
        return Response(RankingSerializer(data).data)
