"""A queryset compiled to SQL once, with stand-in values, then run many times with real values in their place.

Compiling a queryset through a few joins costs Django more than PostgreSQL takes to answer it: the rating
API's scoped read of one declaration was ~5,500 of the ~15,600 profiler events of a request, and a broker's
page of 100 businesses cost ~80 ms to compile as 100 querysets. Where one shape of query runs on every
request, build it with values no row has (`stand-ins`), keep its SQL, and put each request's values in the
stand-ins' places. The queryset is still built by the ordinary code (its scope rules included), once.

Rows come back through the compiler's converters, as the queryset would give them (SQLite's dates are text).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: tuple
    slots: Mapping[Any, int]  # stand-in -> its position in params
    compiler: Any  # the SQLCompiler that made `sql`, for its converters
    using: str

    @classmethod
    def of(cls, queryset: QuerySet, *stand_ins) -> "CompiledQuery":
        """`queryset` (values_list rows) compiled once; each stand-in must appear exactly once in its parameters."""
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        slots = {}
        for stand_in in stand_ins:
            positions = [index for index, param in enumerate(params) if param == stand_in]
            if len(positions) != 1:
                raise ValueError(f"stand-in {stand_in!r} appears {len(positions)} times in the query's parameters")
            slots[stand_in] = positions[0]
        return cls(sql, tuple(params), slots, compiler, queryset.db)

    def params_with(self, values: Mapping[Any, Any]) -> list:
        """The parameters with `values` (stand-in -> real value) in the stand-ins' places."""
        params = list(self.params)
        for stand_in, value in values.items():
            params[self.slots[stand_in]] = value
        return params

    def rows(self, values: Mapping[Any, Any]) -> list[tuple]:
        """The query's rows with `values` in the stand-ins' places."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params_with(values))
            fetched = cursor.fetchall()
        return [tuple(row) for row in self.compiler.results_iter(results=[fetched])]
