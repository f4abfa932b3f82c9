"""Rate limits: DRF throttles for the API (per token, per address) and one limit per address for pages that
take a secret in the URL (survey codes), so that guessing codes costs time. Counts live in the default cache
(CACHE_URL shares them between processes)."""

import functools

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per API token (a signed-in browser session counts per user)."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if getattr(token, "pk", None) is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return None  # anonymous: the address limit applies


class AddressRateThrottle(SimpleRateThrottle):
    """Requests per client address, whoever sends them."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def client_address(request) -> str:
    """The client's address as the API throttles see it (X-Forwarded-For trusted only behind the
    proxy that NUM_PROXIES declares)."""
    return AddressRateThrottle().get_ident(request)


def limit_per_address(key: str):
    """Decorate a view: more than settings.PAGE_LIMITS[key] = (requests, seconds) from one address within
    the window answer 429 (with Retry-After) until it passes. Fixed windows: simple, and enough to make
    guessing slow."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            requests, seconds = settings.PAGE_LIMITS[key]
            cache_key = f"limit:{key}:{client_address(request)}"
            cache.add(cache_key, 0, timeout=seconds)
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.set(cache_key, 1, timeout=seconds)
                count = 1
            if count > requests:
                body = render_to_string("429.html", request=request)
                response = HttpResponse(body, status=429)
                response["Retry-After"] = str(seconds)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
