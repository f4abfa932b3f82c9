"""Query parameters checked at the edge: a value that does not parse answers 400 with its message, never a
500 and never silently ignored.

Views parse their query string with a form (or the helpers below) and raise `InvalidQuery` with the
form's errors; Django turns it into the 400 page (customs_portal.errors.bad_request), in the user's
language, or a JSON body with `errors` under /api/.
"""

from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext as _

# Far more pages than any list has; a bigger number is a typo or a probe.
MAX_PAGE = 100_000


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


def has_control_characters(text: str) -> bool:
    return any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text)


def page_number(data, key: str = "page") -> int:
    """The page asked for in `data[key]` (1 when absent); InvalidQuery for anything but a whole number
    from 1 to MAX_PAGE in ASCII digits ('²' passes str.isdigit())."""
    text = (data.get(key) or "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE):
        raise InvalidQuery({key: [_("A page is a whole number from 1 to %(max)s.") % {"max": MAX_PAGE}]})
    return int(text)


def get_page(paginator: Paginator, data, key: str = "page"):
    """The page of `paginator` that `data[key]` asks for: 400 when it is not a page number, 404 past the end."""
    number = page_number(data, key)
    if number > paginator.num_pages:
        raise Http404(_("There is no page %(number)s.") % {"number": number})
    return paginator.page(number)
