"""A rating and its officer rows written in one SQL statement (PostgreSQL), for the rating API's common case.

`_store_rating` wrote a satisfied rating as BEGIN, INSERT of the rating, INSERT of its officer rows, COMMIT:
four round trips to the database and two ORM insert compilations, most of what a rating cost beyond DRF
(bench/rating_api.py). Here the rating's INSERT is a data-modifying WITH whose RETURNING feeds the officer
rows' INSERT: one statement, atomic by itself, so no transaction block is opened. Values are prepared by
each field, as the ORM's insert prepares them (JSON lists, aware datetimes), and the instances come back
with their ids, as `create` and `bulk_create` leave them.

A dissatisfied rating is the same statement inside the transaction that opens its case. SQLite (the
embedded mode) has no data-modifying WITH and takes the ORM path.
"""

import contextlib
import functools

from django.db import connection, transaction

from ..models import Rating, RatingOfficer

OFFICER_COLUMNS = ("officer_id", "team_id", "level", "reasons")
# Casts for the VALUES list: its columns have no type until the INSERT reads them.
OFFICER_CASTS = ("bigint", "bigint", "smallint", "jsonb")


def _prepared(instance, fields) -> list:
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


@functools.cache
def _sql() -> tuple[str, str, list]:
    """(rating INSERT, officer INSERT from the rating's id, rating fields)."""
    quote = connection.ops.quote_name
    fields = [field for field in Rating._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(str(field.column)) for field in fields)  # every concrete field has a column
    rating = (
        f"INSERT INTO {quote(Rating._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id"
    )
    officers = (
        f"INSERT INTO {quote(RatingOfficer._meta.db_table)} (rating_id, {', '.join(OFFICER_COLUMNS)}) "
        f"SELECT r.id, {', '.join(f'v.{column}' for column in OFFICER_COLUMNS)} FROM r CROSS JOIN (VALUES {{rows}}) "
        f"AS v ({', '.join(OFFICER_COLUMNS)}) RETURNING officer_id, id, rating_id"
    )
    return rating, officers, fields


def insert_rating_with_officers(rating: Rating, officer_rows: list[RatingOfficer], *, savepoint: bool = True) -> None:
    """INSERT `rating` and `officer_rows` (unsaved, their `rating` set to it) as one statement; sets their ids.
    Raises IntegrityError like `create` when the declaration is rated already. Inside a transaction it takes
    a savepoint, so that a failure leaves the caller's transaction usable, as `atomic()` did; `savepoint=False`
    when the caller's own atomic block is what a failure must undo (the rating and its case together)."""
    rating_sql, officers_sql, fields = _sql()
    params = _prepared(rating, fields)
    if officer_rows:
        row = "(" + ", ".join(f"%s::{cast}" for cast in OFFICER_CASTS) + ")"
        sql = f"WITH r AS ({rating_sql}) {officers_sql.format(rows=', '.join([row] * len(officer_rows)))}"
        reasons = RatingOfficer._meta.get_field("reasons")
        for officer in officer_rows:
            params += [officer.officer_id, officer.team_id, officer.level]
            params.append(reasons.get_db_prep_save(officer.reasons, connection))
    else:
        sql = rating_sql
    # Outside a transaction the one statement is its own: no BEGIN and COMMIT round trips.
    block = transaction.atomic() if savepoint and connection.in_atomic_block else contextlib.nullcontext()
    with block, connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    if officer_rows:
        ids = {officer_id: officer_pk for officer_id, officer_pk, _rating_pk in returned}
        rating.pk = returned[0][2]
        for officer in officer_rows:
            officer.pk = ids[officer.officer_id]
            officer._state.adding, officer._state.db = False, connection.alias
    else:
        rating.pk = returned[0][0]
    rating._state.adding, rating._state.db = False, connection.alias
