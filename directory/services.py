"""State changes of the directory: memberships, API tokens. Each one atomic and audited."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import ApiToken, Officer, Team, TeamMembership, User, hash_token_key


@transaction.atomic
def issue_api_token(user: User, name: str, *, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it and the clear key, which is never stored or shown again."""
    if not user.is_active:
        raise ValidationError({"user": _("Tokens can only be issued to active users.")})
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip() or _("API token"), key_hash=hash_token_key(key), prefix=key[:8]
    )
    audit.record(actor, "api_token.issued", token, {"user": user.username, "name": token.name})
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor: User | None = None) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "api_token.revoked", token, {"name": token.name})
    return token


@transaction.atomic
def move_officer_to_team(
    officer: Officer, team: Team, on: datetime.date, *, actor: User | None = None
) -> TeamMembership:
    """Close the officer's current membership the day before `on` and open one in `team` from `on`."""
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    current = TeamMembership.objects.filter(officer=officer, ended_on__isnull=True).first()
    if current is not None:
        if current.team_id == team.pk:
            return current
        if current.started_on >= on:
            raise ValidationError({"on": _("The new membership must start after the current one started.")})
        current.ended_on = on - datetime.timedelta(days=1)
        current.save(update_fields=["ended_on"])
    membership = TeamMembership.objects.create(officer=officer, team=team, started_on=on)
    if officer.branch_id != team.branch_id:
        officer.branch_id = team.branch_id
        officer.save(update_fields=["branch"])
    audit.record(
        actor,
        "officer.moved",
        officer,
        {"from_team": current.team_id if current else None, "to_team": team.pk, "on": on.isoformat()},
    )
    return membership
