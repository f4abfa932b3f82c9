"""GET /api/v1/charter/compliance/?period=YYYY|YYYY-MM&branch=CODE: the service charter figures as JSON.

For department staff and the department's integration clients (their department's figures, token or
session), a branch leader (their branch) and administrators. Without `branch`: the department and its
branches; with it: the branch and its teams. A bad period or a branch that does not exist or lies out of
scope answers 400 naming the parameter; other roles 403 (DRF turns the report's PermissionDenied into it).
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.query import InvalidQuery

from .report import UnitFigures, compliance_report, current_year, parse_period


class CommitmentSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="registration, document_check, physical_inspection, tax_exemption, inquiry_reply"
    )
    title = serializers.CharField(help_text="The commitment in words, in the request's language.")
    limit = serializers.IntegerField()
    unit = serializers.CharField(help_text="minutes, working_hours or working_days")
    status = serializers.CharField(
        help_text="measured, branch_only (inquiry replies of a team: owed by its branch) or no_data (tax exemption)"
    )
    measured = serializers.IntegerField(
        help_text="Declarations measured (cleared in the period, with both stage times)."
    )
    within = serializers.IntegerField(help_text="Of those, within the department's limit.")
    share_within = serializers.FloatField(allow_null=True, help_text="within / measured (0-1); null if none measured.")
    median_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="Median duration (working minutes; elapsed minutes for registration), bucket upper edge.",
    )
    p90_minutes = serializers.IntegerField(allow_null=True, help_text="90th percentile, likewise.")
    median_working_days = serializers.IntegerField(
        allow_null=True,
        help_text="Inquiry replies only: median working days to answer (null when none, or when the median is "
        "an inquiry still unanswered past its deadline).",
    )
    p90_working_days = serializers.IntegerField(allow_null=True, help_text="90th percentile, likewise.")
    unanswered_late = serializers.IntegerField(
        help_text="Inquiry replies only: inquiries unanswered past their deadline (counted in measured, not within)."
    )


class ComplianceUnitSerializer(serializers.Serializer):
    level = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    commitments = CommitmentSerializer(many=True)


class ComplianceSerializer(serializers.Serializer):
    period = serializers.CharField()
    first_month = serializers.DateField()
    last_month = serializers.DateField()
    department = serializers.CharField()
    unit = ComplianceUnitSerializer()
    children = ComplianceUnitSerializer(many=True, help_text="The department's branches, or the branch's teams.")


def _unit(unit: UnitFigures) -> dict:
    return {
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "commitments": [
            {
                "code": f.code,
                "title": f.label,
                "limit": f.limit,
                "unit": f.unit,
                "status": f.status,
                "measured": f.measured,
                "within": f.within,
                "share_within": f.share_within,
                "median_minutes": f.median_minutes,
                "p90_minutes": f.p90_minutes,
                "median_working_days": f.median_days,
                "p90_working_days": f.p90_days,
                "unanswered_late": f.unanswered_late,
            }
            for f in unit.figures
        ],
    }


class ComplianceView(APIView):
    @extend_schema(
        operation_id="charter_compliance",
        summary="Service charter compliance of the department or one branch over a year or a month",
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                description="YYYY or YYYY-MM (local month of clearance); this year by default.",
            ),
            OpenApiParameter("branch", OpenApiTypes.STR, description="A branch code: the branch and its teams."),
        ],
        responses={200: ComplianceSerializer},
        tags=["charter"],
    )
    def get(self, request):
        try:
            period = parse_period(request.query_params.get("period"), current_year())
            report = compliance_report(
                request.user, period, branch_code=(request.query_params.get("branch") or "").strip()
            )
        except InvalidQuery as error:  # the body of every 400 of the API (customs_portal.errors)
            return Response({"detail": _("The request is not valid."), "errors": error.errors}, status=400)
        body = {
            "period": period.code,
            "first_month": period.first,
            "last_month": period.last,
            "department": report.department.code,
            "unit": _unit(report.unit),
            "children": [_unit(child) for child in report.children],
        }
        return Response(ComplianceSerializer(body).data)
