from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.shortcuts import render

from .choices import Role


def demo_accounts_allowed() -> bool:
    """Demo accounts (password `demo`) exist for the embedded demo only."""
    return settings.DEBUG


class PortalModelBackend(ModelBackend):
    """Django's backend, refusing demo accounts when DEBUG is off, and a password sign-in of an integration
    account always: the clearance system speaks to the API with its token and has no business on the web
    pages or the admin."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and user.role == Role.INTEGRATION:
            return None
        return user

    def user_can_authenticate(self, user) -> bool:
        if getattr(user, "is_demo", False) and not demo_accounts_allowed():
            return False
        return super().user_can_authenticate(user)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in over HTTP (the portal's and the admin's login pages pass
    the request). A call without a request comes from code, not from a login form (a management command,
    the test client), and has nothing to throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request, original_response, credentials):
    """django-axes' answer to a locked-out sign-in: our page, in the user's language, with 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
