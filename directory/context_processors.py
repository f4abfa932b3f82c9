from django.conf import settings


def portal(request):
    """Values every page layout needs."""
    return {"portal_debug": settings.DEBUG}
