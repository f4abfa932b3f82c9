"""Rate limits: DRF throttles for the API (per token, per address) and one limit per address for pages that
take a secret in the URL (survey codes), so that guessing codes costs time. Counts live in the default cache
(CACHE_URL shares them between processes)."""

import functools

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from rest_framework.throttling import SimpleRateThrottle


class WindowCountThrottle(SimpleRateThrottle):
    """DRF's SimpleRateThrottle with a count per fixed window instead of a list of request times.

    SimpleRateThrottle keeps the time of every request of the last window and reads, trims and writes that
    list back at each request: a token at its 600 a minute has two lists of 600 floats pickled and unpickled
    per request (sent to Redis and back where CACHE_URL is set), and the benchmark's raised limits made that
    the largest cost of a rating (bench/rating_api.py). Counting in windows aligned on the clock is one cache
    increment. A client may send up to twice the rate across a window's end: enough to stop a runaway
    client or a guesser, which is what these limits are for."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request (or its key expired just now)
            if self.cache.add(key, 1, timeout=self.duration + 1):
                count = 1
            else:  # another request created it in between
                count = self.cache.incr(key)
        return count <= self.num_requests

    def wait(self):
        """Seconds until the window ends, when the count starts again."""
        return max(self.window_end - self.now, 0)


class TokenRateThrottle(WindowCountThrottle):
    """Requests per API token (a signed-in browser session counts per user)."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if getattr(token, "pk", None) is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return None  # anonymous: the address limit applies


class AddressRateThrottle(WindowCountThrottle):
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
