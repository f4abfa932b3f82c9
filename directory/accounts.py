"""Accounts that manage themselves: password reset mail, invitations, and the user's own sessions.

Links in these mails are signed with Django's token generators: a token embeds a timestamp and a hash
of the user's password and last login, so it expires (PASSWORD_RESET_TIMEOUT, INVITATION_TIMEOUT) and
stops working as soon as the password is set: one use only. Nothing is stored but the user row.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from core import clock

from . import audit, outbox
from .auth import demo_accounts_allowed
from .choices import Role
from .models import Business, BusinessMembership, User

SESSION_USER_AGENT = "portal_user_agent"
SESSION_SIGNED_IN_AT = "portal_signed_in_at"
# However often a reset is asked for, an account receives at most one mail per window: no mailbox flooding.
RESET_MAIL_WINDOW_SECONDS = 300


def render_mail(user: User, template: str, context: dict) -> tuple[str, str]:
    """Subject (first line) and body of a plain-text mail template, in the recipient's language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = render_to_string(template, {"user": user, "site_url": settings.SITE_URL, **context})
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


# --- password reset -----------------------------------------------------------------------------


def can_reset_password(user: User) -> bool:
    """Integration accounts have no web sign-in; demo accounts none either once DEBUG is off."""
    if user.role == Role.INTEGRATION:
        return False
    return not (user.is_demo and not demo_accounts_allowed())


def send_password_reset(user: User, uid: str, token: str) -> None:
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    hours = int(settings.PASSWORD_RESET_TIMEOUT // 3600)
    subject, body = render_mail(
        user, "registration/password_reset_email.txt", {"url": settings.SITE_URL + path, "hours": hours}
    )
    window = int(clock.now().timestamp()) // RESET_MAIL_WINDOW_SECONDS
    outbox.enqueue(user, "password_reset", subject, body, dedup_key=f"password_reset:{user.pk}:{window}")


# --- invitations --------------------------------------------------------------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token with its own salt (a reset link is no invitation) and its own lifetime."""

    key_salt = "directory.accounts.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.INVITATION_TIMEOUT


invitation_token_generator = InvitationTokenGenerator()


@dataclass(frozen=True)
class InvitationRequest:
    email: str
    full_name: str
    role: str = Role.BUSINESS
    businesses: tuple[Business, ...] = ()
    business_admin: bool = False
    department_id: int | None = None
    branch_id: int | None = None
    team_id: int | None = None
    officer_id: int | None = None


def invitable_businesses(actor: User):
    """The businesses `actor` may invite colleagues for: all for an administrator, else those they administer."""
    if actor.is_administrator:
        return Business.objects.all()
    if actor.role != Role.BUSINESS or not actor.is_active:
        return Business.objects.none()
    return Business.objects.filter(memberships__user=actor, memberships__is_admin=True)


def may_invite(actor: User) -> bool:
    return actor.is_authenticated and (actor.is_administrator or invitable_businesses(actor).exists())


def _check_scope(actor: User, invitation: InvitationRequest) -> None:
    if actor.is_administrator:
        return
    if invitation.role != Role.BUSINESS or not invitation.businesses:
        raise ValidationError(_("A business administrator invites business users for their own businesses only."))
    allowed = set(invitable_businesses(actor).values_list("pk", flat=True))
    if any(business.pk not in allowed for business in invitation.businesses):
        raise ValidationError(_("You may only invite colleagues for the businesses you administer."))


def _existing_user(email: str) -> User | None:
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()


@transaction.atomic
def invite(actor: User, invitation: InvitationRequest) -> tuple[User, bool]:
    """Invite someone: a new inactive account with a set-password link, or, for an existing business user
    (a broker acting for several businesses), the new memberships. Returns the user and whether it is new."""
    _check_scope(actor, invitation)
    email = invitation.email.strip().lower()
    user = _existing_user(email)
    if user is not None:
        if user.role != Role.BUSINESS or invitation.role != Role.BUSINESS:
            raise ValidationError(_("An account with this e-mail address already exists."))
        added = _add_memberships(user, invitation)
        if not added:
            raise ValidationError(_("This person already acts for the chosen businesses."))
        audit.record(actor, "user.memberships_added", user, {"businesses": [b.tax_code for b in added]})
        if user.is_active and user.has_usable_password():
            subject, body = render_mail(
                user,
                "directory/mail/memberships_added.txt",
                {"actor": actor, "businesses": added, "url": settings.SITE_URL + reverse("home")},
            )
            outbox.enqueue(user, "memberships_added", subject, body)
        else:  # invited before and has not accepted yet: the new link covers every business
            send_invitation(user, actor)
        return user, False
    first_name, _sep, last_name = invitation.full_name.strip().rpartition(" ")
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=invitation.role,
        department_id=invitation.department_id,
        branch_id=invitation.branch_id,
        team_id=invitation.team_id,
        officer_id=invitation.officer_id,
        is_active=False,
    )
    user.set_unusable_password()
    user.save()
    _add_memberships(user, invitation)
    audit.record(
        actor,
        "user.invited",
        user,
        {"email": email, "role": user.role, "businesses": [b.tax_code for b in invitation.businesses]},
    )
    send_invitation(user, actor)
    return user, True


def _add_memberships(user: User, invitation: InvitationRequest) -> list[Business]:
    added = []
    for business in invitation.businesses:
        _membership, created = BusinessMembership.objects.get_or_create(
            user=user, business=business, defaults={"is_admin": invitation.business_admin}
        )
        if created:
            added.append(business)
    return added


def send_invitation(user: User, actor: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    path = reverse("invitation-accept", kwargs={"uidb64": uid, "token": token})
    days = int(settings.INVITATION_TIMEOUT // 86400)
    subject, body = render_mail(
        user,
        "directory/mail/invitation.txt",
        {
            "actor": actor,
            "url": settings.SITE_URL + path,
            "days": days,
            "businesses": list(user.businesses.order_by("name")),
        },
    )
    outbox.enqueue(user, "invitation", subject, body)


def invitation_already_used(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_usable_password()


@transaction.atomic
def accept_invitation(user: User, password: str) -> User:
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    audit.record(user, "user.invitation_accepted", user)
    return user


# --- sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSession:
    key: str  # a hash of the session key: the key itself never appears in a page
    user_agent: str
    signed_in_at: datetime.datetime | None
    expires_at: datetime.datetime
    is_current: bool


def session_ref(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def remember_sign_in(request) -> None:
    """Stored at sign-in so the list of sessions says which device and since when."""
    request.session[SESSION_USER_AGENT] = request.META.get("HTTP_USER_AGENT", "")[:300]
    request.session[SESSION_SIGNED_IN_AT] = timezone.now().isoformat()


def _sessions_of(user: User):
    """(Session row, decoded data) of the user's unexpired sessions. The database backend keeps the user's
    id only inside the encoded data, so each unexpired row is decoded."""
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        data = session.get_decoded()
        if data.get("_auth_user_id") == user_id:
            yield session, data


def active_sessions(user: User, current_key: str | None) -> list[ActiveSession]:
    found = []
    for session, data in _sessions_of(user):
        signed_in = data.get(SESSION_SIGNED_IN_AT)
        found.append(
            ActiveSession(
                key=session_ref(session.session_key),
                user_agent=data.get(SESSION_USER_AGENT, ""),
                signed_in_at=datetime.datetime.fromisoformat(signed_in) if signed_in else None,
                expires_at=session.expire_date,
                is_current=session.session_key == current_key,
            )
        )
    minimum = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(found, key=lambda s: (not s.is_current, -(s.signed_in_at or minimum).timestamp()))


@transaction.atomic
def end_sessions(user: User, current_key: str | None, *, ref: str | None = None) -> int:
    """End one of the user's sessions (by `ref`), or all but the current one; returns how many ended."""
    keys = [
        session.session_key
        for session, _data in _sessions_of(user)
        if session.session_key != current_key and (ref is None or session_ref(session.session_key) == ref)
    ]
    if keys:
        Session.objects.filter(session_key__in=keys).delete()
        audit.record(user, "user.sessions_ended", user, {"count": len(keys), "all_others": ref is None})
    return len(keys)
