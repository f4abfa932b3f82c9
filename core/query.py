"""Query parameters checked at the edge: a value that does not parse answers 400 with its message, never a
500 and never silently ignored.

Views parse their query string with a form (or the helpers below) and raise `InvalidQuery` with the
form's errors; Django turns it into the 400 page (customs_portal.errors.bad_request), in the user's
language, or a JSON body with `errors` under /api/.
"""

import datetime
import re

from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

# Page numbers longer than this are not read as numbers (a million-digit "page" costs seconds to convert).
MAX_PAGE_DIGITS = 9


class InvalidQuery(BadRequest):
    """Query parameters that do not parse; `errors`: parameter -> messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {name: [str(message) for message in messages] for name, messages in errors.items()}
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items()))


def check_form(form):
    """`form.cleaned_data`, or InvalidQuery with the form's errors."""
    if not form.is_valid():
        raise InvalidQuery({name: list(messages) for name, messages in form.errors.items()})
    return form.cleaned_data


# C0 controls, DEL and C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def page_number(data, key: str = "page") -> int:
    """The page asked for in `data[key]` (1 when absent); InvalidQuery for anything but a whole number
    from 1 in ASCII digits ('²' passes str.isdigit())."""
    text = (data.get(key) or "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS and int(text) >= 1):
        raise InvalidQuery({key: [_("A page is a whole number from 1.")]})
    return int(text)


def get_page(paginator: Paginator, data, key: str = "page"):
    """The page of `paginator` that `data[key]` asks for, for an HTML page: 400 when it is not a page number;
    a number past the end shows the last page (a list that shrank since the link was made, or a typed
    number, still lands somewhere useful). The API keeps its 404 (directory.pagination)."""
    return paginator.page(min(page_number(data, key), paginator.num_pages))


class LastPageListMixin:
    """For a ListView: the page is read by `get_page` (400 for junk, the last page past the end) instead
    of Django's 404 past the end."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=True
        )
        page = get_page(paginator, self.request.GET, self.page_kwarg)
        return paginator, page, page.object_list, page.has_other_pages()


# Dates people may filter on: the portal's records start in 2000 (a filter of year 1 or 9999 is a probe).
FIRST_DATE = datetime.date(2000, 1, 1)
LAST_DATE = datetime.date(2100, 12, 31)


def validate_filter_date(value: datetime.date) -> None:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.") % {"first": FIRST_DATE, "last": LAST_DATE}
        )


def check_date_range(form, first: str, last: str) -> None:
    """In a form's clean(): the error of a range whose end comes before its start (never "no filter")."""
    start, end = form.cleaned_data.get(first), form.cleaned_data.get(last)
    if start and end and end < start:
        form.add_error(last, _("The end of the range comes before its start."))
