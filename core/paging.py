"""Paging long lists without counting them whole.

A department's declarations run to millions: an exact COUNT(*) on every page view read every row of the
department (1.8 s at a million ratings) to print one number. `CappedPaginator` counts at most
`LIST_COUNT_CAP` + 1 rows (a COUNT over a LIMIT); past that the list says "more than 10,000" and pages
run to the cap. Older rows are reached with the filters (dates, numbers), which narrow the count again.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

LIST_COUNT_CAP = 10_000


def capped_count(queryset, cap: int) -> int:
    """How many rows `queryset` has, reading at most `cap` + 1 of them: more than `cap` reads as `cap` + 1
    (a page then says "more than `cap`"). Unordered: an ORDER BY would sort every row before the LIMIT."""
    return queryset.order_by()[: cap + 1].count()


class CappedPaginator(Paginator):
    """A paginator whose `count` stops at `cap` + 1; `capped` tells that there are more rows than `cap`."""

    cap = LIST_COUNT_CAP

    def __init__(self, object_list, per_page, *args, count_rows=None, **kwargs):
        """`count_rows`: a cheaper query holding exactly as many rows as `object_list`, counted instead
        of it (an officer's declarations: the distinct declarations of their own link rows)."""
        super().__init__(object_list, per_page, *args, **kwargs)
        self.count_rows = count_rows

    @cached_property
    def count(self) -> int:
        # A sliced queryset counts as SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1): at most cap + 1 rows
        # read, in no particular order (an ORDER BY would sort every row before the LIMIT).
        rows = self.object_list if self.count_rows is None else self.count_rows
        if hasattr(rows, "order_by"):
            return capped_count(rows, self.cap)
        return len(rows[: self.cap + 1])

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        # The pages of the counted rows only: "page 401 of 401" would hold one arbitrary row of the rest.
        if self.capped:
            return max(1, -(-self.cap // self.per_page))
        return super().num_pages
