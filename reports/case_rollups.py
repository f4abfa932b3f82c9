"""Folding dissatisfaction cases into CaseRollup (reports.models), by watermark like the rating rollups.

A rating is added once; a case changes after it is opened (concluded, answered, answered again), so it
cannot be added once. The fold instead finds the (branch, month of opening) keys touched since the
watermarks, from the cases opened since (ids) and the cases with a new event (every state change of a
case appends a CaseEvent), and recomputes those keys' rows from their cases in one GROUP BY, reading
them through the (branch, opened_at) index. The rebuild recomputes every key. Both paths run the same
recompute, so they give the same rows (tests/reports/test_case_rollups.py).

Called by reports.rollups inside its fold and rebuild: same transaction, same state row, same lag.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from feedback.models import CaseEvent, DissatisfactionCase

from .models import CaseOutcome, CaseRollup

NO_DAYS = -1  # answer_working_days of a case without one (not answered yet)


@dataclass(frozen=True)
class CaseFold:
    """The id ranges (lo, hi] of cases and case events one fold took in, and the keys it recomputed."""

    cases_from: int = 0
    cases_to: int = 0
    events_from: int = 0
    events_to: int = 0
    keys: int = 0


def _outcome() -> Case:
    """The rules of feedback.cases.rules.answered_on_time_q / answered_late_q, without the clock."""
    return Case(
        When(first_answered_at__isnull=True, then=Value(CaseOutcome.UNANSWERED.value)),
        When(first_answered_at__lte=F("due_at"), then=Value(CaseOutcome.ON_TIME.value)),
        default=Value(CaseOutcome.LATE.value),
        output_field=CharField(),
    )


def _local_month():
    return TruncMonth("opened_at", tzinfo=timezone.get_default_timezone())


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC-comparable bounds of a local month: a filter on them can use the (branch, opened_at) index."""
    tz = timezone.get_default_timezone()
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return (
        datetime.datetime.combine(month, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _keys_filter(keys: set[tuple[int, datetime.date]]) -> Q:
    condition = Q(pk__in=[])
    for branch_id, month in keys:
        start, end = month_bounds(month)
        condition |= Q(branch_id=branch_id, opened_at__gte=start, opened_at__lt=end)
    return condition


def _recompute(keys: set[tuple[int, datetime.date]] | None) -> None:
    """Replace the rows of `keys` (None: of every key) with counts read from the cases, grouped in the database."""
    cases = DissatisfactionCase.objects.all()
    rollups = CaseRollup.objects.all()
    if keys is not None:
        cases = cases.filter(_keys_filter(keys))
        rollup_keys = Q(pk__in=[])
        for branch_id, month in keys:
            rollup_keys |= Q(branch_id=branch_id, month=month)
        rollups = rollups.filter(rollup_keys)
    rollups.delete()
    grouped = (
        cases.annotate(month=_local_month(), outcome=_outcome(), days=Coalesce("answer_working_days", NO_DAYS))
        .values("branch_id", "month", "outcome", "conclusion", "days")
        .annotate(cases=Count("id"))
        .order_by()
    )
    CaseRollup.objects.bulk_create(
        (
            CaseRollup(
                branch_id=row["branch_id"],
                month=_as_date(row["month"]),
                outcome=row["outcome"],
                conclusion=row["conclusion"],
                answer_working_days=row["days"],
                cases=row["cases"],
            )
            for row in grouped.iterator()
        ),
        batch_size=5000,
    )


def _upper_bound(queryset, column: str, lo: int, cutoff: datetime.datetime) -> int:
    """The highest id above `lo` whose row was created before `cutoff` (the rating fold's lag rule)."""
    found = queryset.filter(pk__gt=lo, **{f"{column}__lte": cutoff}).order_by("-pk").values_list("pk", flat=True)
    return found.first() or lo


def fold_cases(state, cutoff: datetime.datetime, *, rebuild: bool = False) -> CaseFold:
    """Recompute the keys touched since the state's case watermarks and move them; the caller saves `state`.

    A rebuild, and the first fold that finds cases (the watermarks still at 0), recompute every key in
    one pass rather than listing every key."""
    cases_lo, events_lo = state.case_watermark, state.case_event_watermark
    cases_hi = _upper_bound(DissatisfactionCase.objects, "opened_at", cases_lo, cutoff)
    events_hi = _upper_bound(CaseEvent.objects, "created_at", events_lo, cutoff)
    keys: set | None
    if rebuild or (cases_lo == 0 and events_lo == 0 and cases_hi > 0):
        keys = None
        _recompute(None)
    else:
        touched = DissatisfactionCase.objects.filter(
            Q(pk__gt=cases_lo, pk__lte=cases_hi)
            | Q(pk__in=CaseEvent.objects.filter(pk__gt=events_lo, pk__lte=events_hi).values("case_id"))
        )
        keys = {
            (branch_id, _as_date(month))
            for branch_id, month in touched.annotate(month=_local_month())
            .values_list("branch_id", "month")
            .distinct()
            .order_by()
        }
        if keys:
            _recompute(keys)
    state.case_watermark, state.case_event_watermark = cases_hi, events_hi
    return CaseFold(cases_lo, cases_hi, events_lo, events_hi, -1 if keys is None else len(keys))
