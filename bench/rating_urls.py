"""The portal's urls plus POST /bench/bare-insert/<number>/, the baseline of bench/rating_api.py.

The bare view is the floor under any rating endpoint: the same gunicorn, middleware and database, but
no authentication, no validation and no serializer, just one INSERT ... SELECT into feedback_rating
for the declaration with that number (autocommit, so one statement and one commit per request).
"""

import json

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customs_portal.urls import urlpatterns as portal_urlpatterns

BARE_INSERT = """
    INSERT INTO feedback_rating (
        declaration_id, business_id, submitted_by_id, submitted_via, branch_id, team_id,
        branch_level, team_level, branch_reasons, team_reasons, comment, is_dissatisfied, created_at
    )
    SELECT id, business_id, %s, 'api', branch_id, team_id, %s, %s, '[]', '[]', %s, %s, now()
    FROM feedback_declaration WHERE number = %s
    RETURNING id
"""


@csrf_exempt
@require_POST
def bare_insert(request, number: str):
    body = json.loads(request.body)
    branch_level, team_level = body["branch_level"], body.get("team_level")
    dissatisfied = branch_level <= 2 or (team_level is not None and team_level <= 2)
    with connection.cursor() as cursor:
        cursor.execute(
            BARE_INSERT,
            [settings.BENCH_RATER_ID, branch_level, team_level, body.get("comment", ""), dissatisfied, number],
        )
        row = cursor.fetchone()
    if row is None:
        return HttpResponse(status=404)
    return JsonResponse({"id": row[0]}, status=201)


urlpatterns = [
    path("bench/bare-insert/<str:number>/", bare_insert),
    *portal_urlpatterns,
]
