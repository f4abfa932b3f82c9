"""Fast generators of declarations and ratings for the rollup tests (bulk inserts, no services)."""

import datetime
import itertools
import random

from django.db import connection

from feedback.models import Declaration, DeclarationOfficer, Rating, RatingOfficer
from reports.models import BusinessPresence, PresenceCount, RatingRollup

_numbers = itertools.count(1)
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
CHANNELS = ["green", "yellow", "red"]


def units_of(cast):
    """(branch, team, officers) triples of the shared cast."""
    o = cast.officers
    return [
        (cast.branch_a, cast.team_a1, [o.oa1, o.oa2]),
        (cast.branch_a, cast.team_a2, [o.oa2]),
        (cast.branch_b, cast.team_b1, [o.ob1]),
        (cast.branch_b, None, [o.ob1]),
    ]


def add_declarations(cast, count, rng: random.Random, *, businesses, uncleared_share=0.0, months=6, units=None):
    """`count` declarations spread over `months` months from January 2025 (some across a month boundary
    in local time), with their officer links; returns them. `units`: (branch, team, officers) triples to
    place them in (the cast's by default)."""
    declarations = []
    placements = []
    units = units or units_of(cast)
    for _ in range(count):
        branch, team, officers = rng.choice(units)
        registered = START + datetime.timedelta(minutes=rng.randrange(months * 30 * 24 * 60))
        cleared = None if rng.random() < uncleared_share else registered + datetime.timedelta(hours=rng.randint(1, 30))
        declarations.append(
            Declaration(
                number=f"10{next(_numbers) + 10**9:010d}",
                type_code="A11",
                channel=rng.choice(CHANNELS),
                business=rng.choice(businesses),
                branch=branch,
                team=team,
                registered_at=registered,
                cleared_at=cleared,
            )
        )
        placements.append(officers)
    Declaration.objects.bulk_create(declarations, batch_size=2000)
    links = []
    for declaration, officers in zip(declarations, placements, strict=True):
        # An officer may handle two stages: the rollups must still count the declaration once.
        stages = ["reception", "release"] if rng.random() < 0.3 else ["reception"]
        for officer in officers:
            for stage in stages:
                links.append(DeclarationOfficer(declaration=declaration, officer=officer, stage=stage))
    DeclarationOfficer.objects.bulk_create(links, batch_size=2000)
    return declarations


def add_ratings(cast, declarations, rng: random.Random, *, share=1.0, created_at=None):
    """Rate a share of the cleared, unrated `declarations` with random levels; returns the ratings."""
    created_at = created_at or START
    chosen = [d for d in declarations if d.cleared_at is not None and rng.random() < share]
    ratings = []
    for declaration in chosen:
        team_level = rng.choice([None, 1, 2, 3, 4, 5]) if declaration.team_id else None
        branch_level = rng.randint(1, 5)
        ratings.append(
            Rating(
                declaration=declaration,
                business_id=declaration.business_id,
                submitted_by=cast.users.business,
                submitted_via="api",
                branch_id=declaration.branch_id,
                team_id=declaration.team_id,
                branch_level=branch_level,
                team_level=team_level,
                is_dissatisfied=True,  # officer levels are random too; the flag plays no part in rollups
                created_at=created_at,
            )
        )
    Rating.objects.bulk_create(ratings, batch_size=2000)
    officers_by_declaration = {}
    for link in DeclarationOfficer.objects.filter(declaration__in=[r.declaration_id for r in ratings]):
        officers_by_declaration.setdefault(link.declaration_id, set()).add(link.officer_id)
    RatingOfficer.objects.bulk_create(
        [
            RatingOfficer(rating=rating, officer_id=officer_id, level=rng.randint(1, 5))
            for rating in ratings
            for officer_id in sorted(officers_by_declaration.get(rating.declaration_id, ()))
        ],
        batch_size=2000,
    )
    return ratings


def rollup_rows():
    """Every rollup, presence and presence count row, without ids, in a stable order (zero rows are kept as
    they are)."""
    counts = sorted(
        RatingRollup.objects.values_list(
            "unit_kind",
            "unit_id",
            "month",
            "channel",
            "cleared",
            "rated",
            "level_1",
            "level_2",
            "level_3",
            "level_4",
            "level_5",
        )
    )
    presence = sorted(
        BusinessPresence.objects.values_list(
            "unit_kind", "unit_id", "year", "business_id", "cleared_months", "rated_months"
        )
    )
    presence_counts = sorted(
        PresenceCount.objects.values_list(
            "unit_kind", "unit_id", "year", "first_month", "last_month", "businesses_cleared", "businesses_rated"
        )
    )
    return counts, presence, presence_counts


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
