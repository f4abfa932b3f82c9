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


def _prepared(instance, fields) -> list:
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def _written(model) -> list:
    """The fields an INSERT of `model` writes: every concrete field but the primary key."""
    return [field for field in model._meta.concrete_fields if not field.primary_key]


@functools.cache
def _sql() -> tuple[str, str]:
    """(rating INSERT, officer INSERT from the rating's id, its VALUES rows left as `{rows}`), both built
    from the models' fields, like the ORM's inserts."""
    quote = connection.ops.quote_name
    fields = _written(Rating)
    columns = ", ".join(quote(str(field.column)) for field in fields)  # every concrete field has a column
    rating = (
        f"INSERT INTO {quote(Rating._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id"
    )
    # The officer rows' fields but the rating, which comes from the rating's INSERT.
    officer_fields = [field for field in _written(RatingOfficer) if field.name != "rating"]
    names = [str(field.column) for field in officer_fields]
    officers = (
        f"INSERT INTO {quote(RatingOfficer._meta.db_table)} (rating_id, {', '.join(map(quote, names))}) "
        f"SELECT r.id, {', '.join(f'v.{name}' for name in names)} FROM r CROSS JOIN (VALUES {{rows}}) "
        f"AS v ({', '.join(names)}) RETURNING officer_id, id, rating_id"
    )
    return rating, officers


@functools.cache
def _officer_row() -> tuple[str, list]:
    """One VALUES row of officer placeholders, each cast to its column's type (a VALUES list has no types
    until the INSERT reads it), and the fields that fill it."""
    fields = [field for field in _written(RatingOfficer) if field.name != "rating"]
    return "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")", fields


def insert_rating_with_officers(rating: Rating, officer_rows: list[RatingOfficer], *, savepoint: bool = True) -> None:
    """INSERT `rating` and `officer_rows` (unsaved, their `rating` set to it) as one statement; sets their ids.
    Raises IntegrityError like `create` when the declaration is rated already. Inside a transaction it takes
    a savepoint, so that a failure leaves the caller's transaction usable, as `atomic()` did; `savepoint=False`
    when the caller's own atomic block is what a failure must undo (the rating and its case together)."""
    rating_sql, officers_sql = _sql()
    params = _prepared(rating, _written(Rating))
    if officer_rows:
        row, officer_fields = _officer_row()
        sql = f"WITH r AS ({rating_sql}) {officers_sql.format(rows=', '.join([row] * len(officer_rows)))}"
        for officer in officer_rows:
            params += _prepared(officer, officer_fields)
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
