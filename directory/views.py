from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .choices import Role

# Where each role starts its work. Later modules point roles at their inbox or dashboard.
ROLE_HOME = {
    Role.BUSINESS: "feedback:declaration-list",
    Role.OFFICER: "feedback:declaration-list",
    Role.TEAM_LEADER: "feedback:declaration-list",
    Role.BRANCH_LEADER: "feedback:declaration-list",
    Role.DEPARTMENT_STAFF: "feedback:declaration-list",
    Role.INTEGRATION: "api-docs",
    Role.ADMINISTRATOR: "admin:index",
}


def home(request):
    """Anonymous visitors get the public landing page; users are sent to their role's place."""
    if not request.user.is_authenticated:
        return render(request, "directory/landing.html")
    role = Role.ADMINISTRATOR if request.user.is_administrator else request.user.role
    return redirect(ROLE_HOME.get(role, "feedback:declaration-list"))


@require_POST
def set_language(request):
    """Switch the interface language; signed-in users keep their choice across devices."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=False,
            samesite="Lax",
        )
    return response


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from customs_portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure to reach the broker is a health fact, not an error here
        return f"unreachable: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and docker: database and broker state as JSON (503 when not ok)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception as exc:  # reported, not raised: this endpoint exists to say what is broken
        database = f"unreachable: {exc.__class__.__name__}"
    broker = _broker_state()
    healthy = database == "ok" and broker in ("ok", "eager")
    body = {"status": "ok" if healthy else "degraded", "database": database, "broker": broker}
    return JsonResponse(body, status=200 if healthy else 503)
