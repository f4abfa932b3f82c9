"""The present moment as the services see it: `timezone.now()`, unless a caller fixed it with `at()`.

The demo works last year's complaints through the real case services, each step "as if" on the day
it happened; the services stamp times with `now()`, and the demo wraps each step in `at(moment)`. The
fixed moment lives in a ContextVar, so it holds for the current thread (or asyncio task) only: nothing
global is patched, and a request served meanwhile by another thread still sees the real time.
"""

import contextlib
import datetime
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_fixed: ContextVar[datetime.datetime | None] = ContextVar("clock_fixed", default=None)


def now() -> datetime.datetime:
    """The fixed moment inside `at()`, else the real time (aware, UTC)."""
    fixed = _fixed.get()
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def at(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Make `now()` return `moment` inside the block (nested blocks restore the outer moment)."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at() needs an aware datetime.")
    token = _fixed.set(moment)
    try:
        yield moment
    finally:
        _fixed.reset(token)
