"""State changes of declarations: the ingest of batches from the clearance system (API and file import).

The batch is all or nothing, one transaction; a changed declaration is updated and audited.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from directory import audit
from directory.models import Branch, Business, TeamMembership

from ..models import Declaration, DeclarationOfficer
from .checks import LOCAL_TZ, BatchErrors, ResolvedDeclaration, resolve_batch

# Fields compared to decide whether a re-sent declaration changed.
COMPARED_FIELDS = (
    "type_code",
    "channel",
    "business_id",
    "branch_id",
    "team_id",
    "registered_at",
    "cleared_at",
    "received_at",
    "document_check_done_at",
    "inspection_done_at",
)
# Every column of the rows that _insert_rows writes without model instances. A field added to these
# models must be added here too (tests/feedback/declarations/test_ingest_service.py checks it).
DECLARATION_INSERT_FIELDS = ("number", *COMPARED_FIELDS, "created_at", "updated_at")
LINK_INSERT_FIELDS = ("declaration", "officer", "stage", "team")
# Two clients may insert the same new number at once; the loser retries and then sees the winner's row.
INSERT_RACE_RETRIES = 3


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class DeclarationBatchError(Exception):
    """The batch had invalid items; nothing was written. `errors.by_item` maps item index -> field -> messages."""

    def __init__(self, errors: BatchErrors):
        super().__init__("invalid declaration batch")
        self.errors = errors


def ingest_declarations(raw_items: list, *, actor) -> IngestResult:
    """Upsert declarations by number, all or nothing; a changed declaration is updated and audited.

    `actor` is the integration client (or importing user); its scope limits which branches it may write.
    """
    resolved, errors = resolve_batch(raw_items, actor)
    if errors:
        raise DeclarationBatchError(errors)
    for attempt in range(INSERT_RACE_RETRIES):
        try:
            with transaction.atomic():
                return _upsert(resolved, actor)
        except IntegrityError:
            if attempt == INSERT_RACE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _upsert(items: list[ResolvedDeclaration], actor) -> IngestResult:
    result = IngestResult()
    if not items:
        return result
    _attach_businesses(items, actor)
    teams_on_day = _TeamsOnDay({officer_id for item in items for officer_id, _stage in item.officers})

    existing = Declaration.objects.select_for_update().in_bulk([item.number for item in items], field_name="number")
    links_by_declaration: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for declaration_id, officer_id, stage in DeclarationOfficer.objects.filter(
        declaration_id__in=[d.pk for d in existing.values()]
    ).values_list("declaration_id", "officer_id", "stage"):
        links_by_declaration[declaration_id].add((officer_id, stage))

    new_items: list[ResolvedDeclaration] = []
    changed_rows: list[tuple[Declaration, ResolvedDeclaration, dict]] = []
    now = timezone.now()
    for item in items:
        day = item.registered_at.astimezone(LOCAL_TZ).date()
        if item.team_id is None:
            item.team_id = teams_on_day.team_of_first_officer(item, day)
        declaration = existing.get(item.number)
        if declaration is None:
            new_items.append(item)
            continue
        changes = {
            name: [_jsonable(getattr(declaration, name)), _jsonable(value)]
            for name, value in _values(item).items()
            if getattr(declaration, name) != value
        }
        old_officers = links_by_declaration.get(declaration.pk, set())
        if old_officers != set(item.officers):
            changes["officers"] = [sorted(old_officers), sorted(item.officers)]
        if not changes:
            result.unchanged += 1
            continue
        for name, value in _values(item).items():
            setattr(declaration, name, value)
        declaration.updated_at = now
        changed_rows.append((declaration, item, changes))

    declaration_ids = _insert_declarations(new_items, now)
    if changed_rows:
        Declaration.objects.bulk_update(
            [d for d, _i, _c in changed_rows], [*COMPARED_FIELDS, "updated_at"], batch_size=1000
        )
        relinked = [d.pk for d, _item, changes in changed_rows if "officers" in changes]
        DeclarationOfficer.objects.filter(declaration_id__in=relinked).delete()
        audit.record_many(actor, "declaration.updated", [(d, changes) for d, _item, changes in changed_rows])
        declaration_ids.update((d.number, d.pk) for d, _item, changes in changed_rows if "officers" in changes)

    links: list[tuple[int, int, str, int | None]] = []  # (declaration, officer, stage, team on the day)
    for item in [*new_items, *(i for _d, i, c in changed_rows if "officers" in c)]:
        day = item.registered_at.astimezone(LOCAL_TZ).date()
        declaration_id = declaration_ids[item.number]
        links.extend(
            (declaration_id, officer_id, stage, teams_on_day.team(officer_id, day))
            for officer_id, stage in item.officers
        )
    _insert_rows(DeclarationOfficer, LINK_INSERT_FIELDS, links)

    result.created = len(new_items)
    result.updated = len(changed_rows)
    return result


def _insert_declarations(items: list[ResolvedDeclaration], now: datetime.datetime) -> dict[str, int]:
    """Insert new declarations; returns their ids by number (read back: RETURNING needs SQLite 3.35)."""
    if not items:
        return {}
    as_db_time = connection.ops.adapt_datetimefield_value
    _insert_rows(
        Declaration,
        DECLARATION_INSERT_FIELDS,
        [
            (  # in the order of DECLARATION_INSERT_FIELDS
                item.number,
                item.type_code,
                item.channel,
                item.business_id,
                item.branch_id,
                item.team_id,
                as_db_time(item.registered_at),
                as_db_time(item.cleared_at),
                as_db_time(item.received_at),
                as_db_time(item.document_check_done_at),
                as_db_time(item.inspection_done_at),
                as_db_time(now),
                as_db_time(now),
            )
            for item in items
        ],
    )
    numbers = [item.number for item in items]
    return dict(Declaration.objects.filter(number__in=numbers).order_by().values_list("number", "id"))


def _insert_rows(model, field_names: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT already checked, database-ready tuples with multi-row VALUES, on PostgreSQL and SQLite alike.

    bulk_create would build a model instance per row and prepare every value through its field: that
    was 40% of the time of a 1,000-declaration batch (docs/performance.md). The values here come from
    resolve_batch, so plain tuples are enough; datetimes are adapted by the caller.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    row_placeholder = f"({', '.join(['%s'] * len(fields))})"
    # SQLite limits the parameters of one statement; PostgreSQL takes the whole batch at once.
    batch_size = max(1, connection.ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(head + ", ".join([row_placeholder] * len(batch)), [v for row in batch for v in row])


def _values(item: ResolvedDeclaration) -> dict:
    return {
        "type_code": item.type_code,
        "channel": item.channel,
        "business_id": item.business_id,
        "branch_id": item.branch_id,
        "team_id": item.team_id,
        "registered_at": item.registered_at,
        "cleared_at": item.cleared_at,
        "received_at": item.received_at,
        "document_check_done_at": item.document_check_done_at,
        "inspection_done_at": item.inspection_done_at,
    }


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _attach_businesses(items: list[ResolvedDeclaration], actor) -> None:
    """Create the businesses first seen in this batch (name from the declaration) and set business ids."""
    missing = {item.tax_code: item for item in items if item.business_id is None}
    if missing:
        prefixes = dict(
            Branch.objects.filter(id__in={i.branch_id for i in missing.values()}).values_list(
                "id", "department__province_tax_prefix"
            )
        )
        # ignore_conflicts: a concurrent batch may create the same business; both then read it back.
        Business.objects.bulk_create(
            [
                Business(
                    tax_code=tax_code,
                    name=item.business_name,
                    is_in_province=bool(prefixes.get(item.branch_id)) and tax_code[:2] == prefixes[item.branch_id],
                )
                for tax_code, item in missing.items()
            ],
            ignore_conflicts=True,
        )
        created = Business.objects.filter(tax_code__in=missing).in_bulk(field_name="tax_code")
        audit.record_many(actor, "business.created_from_declaration", [(b, {"name": b.name}) for b in created.values()])
        for item in items:
            if item.business_id is None:
                item.business_id = created[item.tax_code].pk


class _TeamsOnDay:
    """Which team each officer was in on a given day, from one query over their memberships."""

    def __init__(self, officer_ids: set[int]):
        self.memberships: dict[int, list[tuple]] = defaultdict(list)
        rows = TeamMembership.objects.filter(officer_id__in=officer_ids).values_list(
            "officer_id", "started_on", "ended_on", "team_id", "team__branch_id"
        )
        for officer_id, started_on, ended_on, team_id, branch_id in rows:
            self.memberships[officer_id].append((started_on, ended_on, team_id, branch_id))

    def membership(self, officer_id: int, day: datetime.date) -> tuple[int, int] | None:
        for started_on, ended_on, team_id, branch_id in self.memberships.get(officer_id, ()):
            if started_on <= day and (ended_on is None or day <= ended_on):
                return team_id, branch_id
        return None

    def team(self, officer_id: int, day: datetime.date) -> int | None:
        found = self.membership(officer_id, day)
        return found[0] if found else None

    def team_of_first_officer(self, item: ResolvedDeclaration, day: datetime.date) -> int | None:
        """When the clearance system sends no team, credit the team of the first officer listed that day."""
        for officer_id, _stage in item.officers:
            found = self.membership(officer_id, day)
            if found is not None and found[1] == item.branch_id:
                return found[0]
        return None
