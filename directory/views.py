from celery import current_app
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .accounts import may_invite
from .choices import Role
from .forms import AccountPreferencesForm, ApiTokenForm
from .models import ApiToken, BusinessMembership
from .services import issue_api_token, revoke_api_token


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=False,
        samesite="Lax",
    )


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
        _set_language_cookie(response, language)
    return response


def is_business_admin(user) -> bool:
    """A business user who manages the API tokens of the declaration software of a business they act for."""
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.BUSINESS
        and BusinessMembership.objects.filter(user=user, is_admin=True).exists()
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    """The user's own settings: interface language and (business users) the daily rating reminder."""
    user = request.user
    form = AccountPreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings have been saved."))
        response = redirect("account")
        if user.language:
            _set_language_cookie(response, user.language)
        else:  # the portal's default from now on, not what this browser chose before
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    context = {"form": form, "is_business_admin": is_business_admin(user), "may_invite": may_invite(user)}
    return render(request, "directory/account.html", context)


def _require_business_admin(request) -> None:
    if not is_business_admin(request.user):
        raise PermissionDenied(_("Only a business administrator manages API tokens."))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """List the user's own API tokens and create one; a new key is shown once, on the answer to the POST."""
    _require_business_admin(request)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, key = issue_api_token(request.user, form.cleaned_data["name"], actor=request.user)
        # Rendered, not redirected: the clear key is never stored, not even in the session.
        return render(request, "directory/api_token_created.html", {"token": token, "key": key})
    tokens = ApiToken.objects.filter(user=request.user).order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
    return render(
        request, "directory/api_tokens.html", {"form": form, "tokens": tokens}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def revoke_token(request, token_id: int):
    _require_business_admin(request)
    # Someone else's token answers 404, like one that does not exist.
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    revoke_api_token(token, actor=request.user)
    messages.success(
        request, _("The token “%(name)s” is revoked; software using it can no longer connect.") % {"name": token.name}
    )
    return redirect("api-tokens")


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        with current_app.connection_for_write() as conn:
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
