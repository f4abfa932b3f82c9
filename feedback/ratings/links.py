"""One-click rating links (feedback.RatingLink): issue one for a declaration and the business user it acts
for, find one from the secret in its URL, and redeem it by rating.

The secret is 32 random bytes shown once (in the URL); the table keeps only its SHA-256. Redeeming claims
the link with a conditional UPDATE (used_at IS NULL, not revoked, not expired) in the transaction that
stores the rating: of two submissions the second finds nothing to claim, and a refused rating leaves the
link unused.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from directory import audit
from directory.choices import Role
from directory.models import User

from ..choices import SubmissionChannel
from ..models import Declaration, Rating, RatingLink
from .link_tokens import IssuedLink, hash_token, new_link
from .services import submit_rating


class LinkUnusable(Exception):
    """The link was used, revoked or has expired (or its user may no longer rate): nothing was written."""


def issue_link(declaration: Declaration, user: User, *, via: str) -> IssuedLink:
    """Save and audit a link for `user` (a business user acting for the declaration's business; the
    caller has checked the scope and that the declaration can be rated now)."""
    link, token = new_link(declaration, user, clock.now())
    with transaction.atomic():
        link.save()
        audit.record(user, "rating_link.issued", link, {"declaration": declaration.number, "via": via})
    return IssuedLink(link, token)


def find_link(token: str) -> RatingLink | None:
    """The link with this secret, usable or not (None when there is none)."""
    if not token or len(token) > 100:
        return None
    return (
        RatingLink.objects.select_related("user", "declaration__branch__department", "declaration__business")
        .filter(token_hash=hash_token(token))
        .first()
    )


def link_problem(link: RatingLink | None, *, now: datetime.datetime | None = None) -> str | None:
    """Why `link` cannot be used now, in the active language; None when it can."""
    now = now or clock.now()
    if link is None:
        return _("This rating link is not valid. Check that it was copied in full, or log in to rate.")
    if link.used_at is not None or Rating.objects.filter(declaration_id=link.declaration_id).exists():
        return _("This rating link has already been used: the declaration has been rated.")
    if link.revoked_at is not None:
        return _("This rating link has been withdrawn. Log in to rate the declaration.")
    if link.expires_at <= now:
        return _("This rating link has expired. Log in to rate the declaration if it can still be rated.")
    user = link.user
    if not (user.is_active and user.role == Role.BUSINESS):
        return _("This rating link is not valid. Check that it was copied in full, or log in to rate.")
    if not Declaration.objects.for_user(user).filter(pk=link.declaration_id).exists():
        return _("This rating link is not valid. Check that it was copied in full, or log in to rate.")
    return None


def rate_with_link(link: RatingLink, **fields) -> Rating:
    """Claim `link` and store its user's rating in one transaction, audited.

    Raises LinkUnusable when the link was used, revoked or expired meanwhile; AlreadyRated,
    PermissionDenied and ValidationError as submit_rating does (the link then stays unused).
    """
    now = clock.now()
    with transaction.atomic():
        claimed = RatingLink.objects.filter(
            pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise LinkUnusable(link.pk)
        rating = submit_rating(link.declaration, link.user, channel=SubmissionChannel.WEB, **fields)
        audit.record(link.user, "rating_link.used", link, {"declaration": link.declaration.number, "rating": rating.pk})
    link.used_at = now
    return rating


def revoke_links(links, *, actor: User) -> int:
    """Withdraw the unused, unrevoked links among `links` (a queryset), audited; returns how many."""
    now = clock.now()
    with transaction.atomic():
        targets = list(links.filter(used_at__isnull=True, revoked_at__isnull=True).select_for_update())
        RatingLink.objects.filter(pk__in=[link.pk for link in targets]).update(revoked_at=now)
        audit.record_many(
            actor, "rating_link.revoked", [(link, {"declaration_id": link.declaration_id}) for link in targets]
        )
    return len(targets)
