"""Declarations with stage times for the charter tests, written in local time (Asia/Ho_Chi_Minh)."""

import datetime
import itertools

from core.working_time import LOCAL_TZ
from feedback.models import Declaration

_numbers = itertools.count(1)


def local(year, month, day, hour=0, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def declare(
    cast,
    *,
    branch=None,
    team=None,
    received=None,
    registered,
    document=None,
    inspection=None,
    cleared=None,
    channel="red",
) -> Declaration:
    """One declaration of business X with the given stage times; cleared at the last stage unless told."""
    last = max(t for t in (registered, document, inspection) if t is not None)
    declaration = Declaration.objects.create(
        number=f"30{next(_numbers) + 5 * 10**9:010d}",
        type_code="A11",
        channel=channel,
        business=cast.business_x,
        branch=branch or cast.branch_a,
        team=team if team is not None else cast.team_a1,
        received_at=received,
        registered_at=registered,
        document_check_done_at=document,
        inspection_done_at=inspection,
        cleared_at=cleared if cleared is not None else last,
    )
    # As the ingest writes a new declaration: updated when created (a later save() marks it sent again).
    Declaration.objects.filter(pk=declaration.pk).update(updated_at=declaration.created_at)
    declaration.updated_at = declaration.created_at
    return declaration
