"""`Authorization: Token <key>` for the API, against hashed keys (directory.ApiToken).

Each process keeps the tokens it has just checked (with their user) for settings.API_TOKEN_CACHE_SECONDS
(5): the token query was a fifth of a rating's work (docs/performance-ratings.md). So a token revoked, or
an account disabled, in another process stops working within those seconds; in this process at once
(a saved token or user drops its entries, see `forget_token`/`forget_user`). Only successful checks are
kept, keyed by the key's hash; each request gets its own copies of the token and the user.
"""

import copy
import datetime
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .auth import demo_accounts_allowed
from .models import ApiToken, hash_token_key

# Writing last_used_at on every call would add a write to every request; a coarse mark is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)
# More distinct tokens than this in one process within the cache's seconds: start again from empty.
TOKEN_CACHE_SIZE = 10_000


@dataclass
class _Checked:
    token: ApiToken  # with its user
    until: float  # monotonic time after which the database is asked again


_checked: dict[str, _Checked] = {}
_lock = threading.Lock()
_now = time.monotonic  # tests move time forward


def forget_token(key_hash: str) -> None:
    with _lock:
        _checked.pop(key_hash, None)


def forget_user(user_id: int) -> None:
    with _lock:
        for key_hash in [key for key, entry in _checked.items() if entry.token.user_id == user_id]:
            del _checked[key_hash]


def _lookup(key_hash: str) -> ApiToken | None:
    """The token of this key with its user: from this process's recent checks, else from the database."""
    entry = _checked.get(key_hash)
    if entry is not None and entry.until > _now():
        token = copy.copy(entry.token)  # the request may change its copies; the kept ones stay as read
        token.user = copy.copy(entry.token.user)
        return token
    # get(), not first(): key_hash is unique, and first() would add an ORDER BY (a third of this
    # query's Python cost on every API call; docs/performance-ratings.md).
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=key_hash)
    except ApiToken.DoesNotExist:
        return None
    seconds = settings.API_TOKEN_CACHE_SECONDS
    if seconds > 0 and token.revoked_at is None:
        with _lock:
            if len(_checked) >= TOKEN_CACHE_SIZE:
                _checked.clear()
            kept = copy.copy(token)
            kept.user = copy.copy(token.user)
            _checked[key_hash] = _Checked(kept, _now() + seconds)
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give `Token <key>`."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the key has invalid characters."))
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        key_hash = hash_token_key(key)
        token = _lookup(key_hash)
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        user = token.user
        if not user.is_active or (user.is_demo and not demo_accounts_allowed()):
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            entry = _checked.get(key_hash)
            if entry is not None:
                entry.token.last_used_at = now
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
