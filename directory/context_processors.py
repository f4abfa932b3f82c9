from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from .navigation import main_menu


def portal(request):
    """Values every page layout needs. The menu is a callable, so only a template that shows it builds it."""

    def menu():
        return main_menu(getattr(request, "user", None) or AnonymousUser())

    return {"portal_debug": settings.DEBUG, "main_menu": menu}
