"""The API's JSON parser: DRF's, with the nesting depth bounded and errors in the portal's shape.

Python's json module recurses once per level: a body nested 5,000 deep raised RecursionError (a 500).
The depth is counted on the raw text first (brackets outside strings), so such a body never reaches
the decoder. A parse error answers 400 with `detail` and `errors` (the shape every 400 of the API has).
"""

import codecs
import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deep enough for every documented body (a declaration with its officers is 3 levels).
MAX_DEPTH = 20
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match[0] in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_error(message: str) -> ParseError:
    return ParseError({"detail": message, "errors": {"non_field_errors": [message]}})


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError:
            raise parse_error(_("The body is not valid %(encoding)s text.") % {"encoding": encoding}) from None
        if nesting_depth(text) > MAX_DEPTH:
            raise parse_error(_("The JSON body nests deeper than %(depth)s levels.") % {"depth": MAX_DEPTH})
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise parse_error(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")
