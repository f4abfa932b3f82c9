"""The portal's urls plus the two bench-only baselines of bench/rating_api.py.

POST /bench/bare-insert/<number>/ is the floor under any rating endpoint: the same gunicorn, middleware
and database, but no authentication, no validation and no serializer, just one INSERT ... SELECT into
feedback_rating for the declaration with that number (autocommit, so one statement and one commit per
request).

POST /bench/drf-floor/<number>/ (`--floor`) is the floor under any DRF endpoint of the portal: the
same INSERT from a DRF APIView with the API's token authentication and permissions, a parsed JSON body
and a JSON answer, and nothing else (no validation, no officers, no scoping).
"""

import json

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_portal.urls import urlpatterns as portal_urlpatterns
from directory.permissions import IsBusinessUser

BARE_INSERT = """
    INSERT INTO feedback_rating (
        declaration_id, business_id, submitted_by_id, submitted_via, branch_id, team_id,
        branch_level, team_level, branch_reasons, team_reasons, comment, is_dissatisfied, created_at
    )
    SELECT id, business_id, %s, 'api', branch_id, team_id, %s, %s, '[]', '[]', %s, %s, now()
    FROM feedback_declaration WHERE number = %s
    RETURNING id
"""


def _insert(body: dict, rater_id: int, number: str) -> int | None:
    branch_level, team_level = body["branch_level"], body.get("team_level")
    dissatisfied = branch_level <= 2 or (team_level is not None and team_level <= 2)
    with connection.cursor() as cursor:
        cursor.execute(BARE_INSERT, [rater_id, branch_level, team_level, body.get("comment", ""), dissatisfied, number])
        row = cursor.fetchone()
    return None if row is None else row[0]


@csrf_exempt
@require_POST
def bare_insert(request, number: str):
    rating_id = _insert(json.loads(request.body), settings.BENCH_RATER_ID, number)
    if rating_id is None:
        return HttpResponse(status=404)
    return JsonResponse({"id": rating_id}, status=201)


class DrfFloor(APIView):
    """The same INSERT behind the API's authentication (default classes: the token), permissions and JSON."""

    permission_classes = [IsAuthenticated, IsBusinessUser]
    renderer_classes = [JSONRenderer]

    def post(self, request, number: str):
        rating_id = _insert(request.data, request.user.pk, number)
        if rating_id is None:
            return Response(status=404)
        return Response({"id": rating_id}, status=201)


urlpatterns = [
    path("bench/bare-insert/<str:number>/", bare_insert),
    path("bench/drf-floor/<str:number>/", DrfFloor.as_view()),
    *portal_urlpatterns,
]
