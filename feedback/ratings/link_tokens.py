"""The secret of a one-click rating link: how it is made, stored (hashed) and written as a URL.

Apart from feedback.ratings.links so that the reminder digest (feedback.ratings.services) can make links
without importing the code that redeems them.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from directory.models import User

from ..models import Declaration, RatingLink
from .window import rating_window


@dataclass(frozen=True)
class IssuedLink:
    link: RatingLink
    token: str

    @property
    def url(self) -> str:
        return link_url(self.token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('feedback:rating-link', args=[token])}"


def link_expiry(declaration: Declaration, now: datetime.datetime) -> datetime.datetime:
    """RATING_LINK_DAYS from now, but never after the declaration's rating window closes."""
    expires_at = now + datetime.timedelta(days=settings.RATING_LINK_DAYS)
    closes_at = rating_window(declaration, now=now).closes_at
    return min(expires_at, closes_at) if closes_at is not None else expires_at


def new_link(declaration: Declaration, user: User, now: datetime.datetime) -> tuple[RatingLink, str]:
    """An unsaved link and its secret (for bulk creation); `issue_link` saves and audits one."""
    token = secrets.token_urlsafe(32)
    link = RatingLink(
        declaration=declaration,
        user=user,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=link_expiry(declaration, now),
    )
    return link, token
