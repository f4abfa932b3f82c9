"""Checking declarations sent by the clearance system (API bodies, import files) before they are stored.

Field checks are plain Python rather than a DRF serializer: a batch of 1,000 declarations must be
checked in milliseconds (bench/ingest_declarations.py). Every message names the field, and the caller
keys them by item index (API) or row number (file import).
"""

import datetime
import functools
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import clock
from directory.models import Branch, Business, Officer, Team
from directory.taxcode import normalize_tax_code

from ..choices import CHANNEL_ALIASES, Channel, Stage

FIELDS = (
    "number",
    "type_code",
    "channel",
    "business_tax_code",
    "business_name",
    "branch_code",
    "team_code",
    "officers",
    "registered_at",
    "cleared_at",
)
# Optional stage times (the service charter's timings are measured on them): a body or file without them
# is as valid as before; an upsert without them stores none, as it replaces the whole declaration.
STAGE_FIELDS = ("received_at", "document_check_done_at", "inspection_done_at")
# `released_at` is another name for `cleared_at` (the goods released: the end of the clearance).
RELEASED_ALIAS = "released_at"
OPTIONAL_FIELDS = (*STAGE_FIELDS, RELEASED_ALIAS)
# The order of the stages: each given time must not come before an earlier stage's.
STAGE_ORDER = ("received_at", "registered_at", "document_check_done_at", "inspection_done_at", "cleared_at")
LOCAL_TZ = ZoneInfo(settings.TIME_ZONE)
_CHANNELS = {c.value: c.value for c in Channel} | {k: v.value for k, v in CHANNEL_ALIASES.items()}
_STAGES = set(Stage.values)
# Dates the portal accepts: nothing before the portal's records begin, nothing past tomorrow (a clock
# a little ahead is tolerated). Year 1 or 9999 broke every page that computes a window or a period.
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
AHEAD = datetime.timedelta(days=1)
# UTC offsets in use on Earth run from -12:00 to +14:00; '+23:59' parses but is no real place.
OFFSETS = (datetime.timedelta(hours=-12), datetime.timedelta(hours=14))
_NUMBER = re.compile(r"[0-9]{12}")  # ASCII only: str.isdigit() accepts '²' and Arabic-Indic digits
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class DeclarationInput:
    """One declaration, checked field by field; references (codes) not yet resolved."""

    number: str
    type_code: str
    channel: str
    tax_code: str
    business_name: str
    branch_code: str
    team_code: str
    officers: list[tuple[str, str]]
    registered_at: datetime.datetime
    cleared_at: datetime.datetime | None
    stage_times: dict[str, datetime.datetime | None] = field(default_factory=dict)


@dataclass
class ResolvedDeclaration:
    """A declaration whose codes are resolved to row ids, ready to be compared and written."""

    number: str
    type_code: str
    channel: str
    tax_code: str
    business_name: str
    branch_id: int
    team_id: int | None
    officers: list[tuple[int, str]]  # (officer id, stage)
    registered_at: datetime.datetime
    cleared_at: datetime.datetime | None
    business_id: int | None = None
    received_at: datetime.datetime | None = None
    document_check_done_at: datetime.datetime | None = None
    inspection_done_at: datetime.datetime | None = None


@dataclass
class BatchErrors:
    by_item: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def add(self, index: int, field_name: str, message: str) -> None:
        self.by_item.setdefault(index, {}).setdefault(field_name, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.by_item)


def parse_datetime(value) -> datetime.datetime:
    """ISO 8601 text or a datetime; naive values are Vietnamese local time."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(_("Give a date and time such as 2026-05-15T09:30:00+07:00.")) from exc
    else:
        raise ValueError(_("Give a date and time such as 2026-05-15T09:30:00+07:00."))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    offset = parsed.utcoffset()
    if offset is None or not OFFSETS[0] <= offset <= OFFSETS[1]:
        raise ValueError(_("The UTC offset must lie between -12:00 and +14:00."))
    try:
        in_range = EARLIEST <= parsed <= clock.now() + AHEAD
    except OverflowError:  # year 9999 with an offset cannot be compared in UTC
        in_range = False
    if not in_range:
        raise ValueError(_("The date must lie between 2000-01-01 and tomorrow."))
    return parsed


@functools.lru_cache(maxsize=16_384)
def _normalized_tax_code(raw: str) -> str:
    """normalize_tax_code, remembered for valid codes: batches name the same businesses again and again.

    A ValidationError is not cached (lru_cache keeps only returned values), so an invalid code is
    checked again each time and its message is in the language of the current request.
    """
    return normalize_tax_code(raw)


def _text(raw: dict, name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # numbers typed into spreadsheets
        value = int(value)
    return str(value).strip()


def _control_characters(raw: dict) -> list[str]:
    """The text fields of `raw` (its officers' too) holding a control character."""
    found = [
        name for name in (*FIELDS, *OPTIONAL_FIELDS) if isinstance(raw.get(name), str) and _CONTROL.search(raw[name])
    ]
    officers = raw.get("officers")
    if isinstance(officers, list):
        for position, officer in enumerate(officers):
            if isinstance(officer, dict):
                found.extend(
                    f"officers[{position}].{key}"
                    for key in ("code", "stage")
                    if isinstance(officer.get(key), str) and _CONTROL.search(officer[key])
                )
    return found


def parse_item(raw, index: int, errors: BatchErrors) -> DeclarationInput | None:
    """Field-level checks of one raw item (a dict from JSON or a file row)."""
    if not isinstance(raw, dict):
        errors.add(index, "non_field_errors", _("Each declaration must be an object."))
        return None
    before = len(errors.by_item.get(index, {}))
    control = _control_characters(raw)
    for name in control:
        errors.add(index, name, _("Control characters (such as NUL) are not allowed."))
    if control:
        return None

    number = _text(raw, "number")
    if not _NUMBER.fullmatch(number):
        errors.add(index, "number", _("A declaration number has exactly 12 digits."))

    type_code = _text(raw, "type_code").upper()
    if not (1 <= len(type_code) <= 5 and type_code.isascii() and type_code.isalnum()):
        errors.add(index, "type_code", _("A type code such as A11 or E52 is required."))

    channel = _CHANNELS.get(_text(raw, "channel").lower())
    if channel is None:
        errors.add(index, "channel", _("The channel must be green, yellow or red."))

    tax_code = ""
    try:
        tax_code = _normalized_tax_code(_text(raw, "business_tax_code"))
    except ValidationError as exc:
        errors.add(index, "business_tax_code", exc.messages[0])

    business_name = _text(raw, "business_name")
    if len(business_name) > 300:
        errors.add(index, "business_name", _("A business name has at most 300 characters."))

    branch_code = _text(raw, "branch_code")
    if not branch_code:
        errors.add(index, "branch_code", _("The branch code is required."))
    team_code = _text(raw, "team_code")

    officers: list[tuple[str, str]] = []
    raw_officers = raw.get("officers") or []
    if not isinstance(raw_officers, list):
        errors.add(index, "officers", _("Officers must be a list of {code, stage}."))
        raw_officers = []
    for position, officer in enumerate(raw_officers):
        key = f"officers[{position}]"
        if not isinstance(officer, dict) or not _text(officer, "code"):
            errors.add(index, key, _("Each officer needs a code and a stage."))
            continue
        stage = _text(officer, "stage")
        if stage not in _STAGES:
            errors.add(
                index, f"{key}.stage", _("Unknown stage; use one of: %(stages)s.") % {"stages": ", ".join(Stage.values)}
            )
            continue
        pair = (_text(officer, "code"), stage)
        if pair in officers:
            errors.add(index, key, _("This officer is listed twice for the same stage."))
            continue
        officers.append(pair)

    times = _stage_times(raw, index, errors)
    registered_at, cleared_at = times.get("registered_at"), times.get("cleared_at")

    if len(errors.by_item.get(index, {})) > before:
        return None
    # Without a new error both were set: a missing channel or registration time is an error above.
    assert channel is not None and registered_at is not None
    return DeclarationInput(
        number,
        type_code,
        channel,
        tax_code,
        business_name,
        branch_code,
        team_code,
        officers,
        registered_at,
        cleared_at,
        {name: times.get(name) for name in STAGE_FIELDS},
    )


def _stage_times(raw: dict, index: int, errors: BatchErrors) -> dict[str, datetime.datetime]:
    """The stage times given (registration is required), each parsed, then checked in STAGE_ORDER."""
    times: dict[str, datetime.datetime] = {}
    for name in STAGE_ORDER:
        value = raw.get(name)
        if name == "cleared_at" and value in (None, ""):
            value = raw.get(RELEASED_ALIAS)
        if value in (None, "") and name != "registered_at":
            continue
        try:
            times[name] = parse_datetime(value)
        except ValueError as exc:
            errors.add(index, name, str(exc))
    if raw.get("cleared_at") not in (None, "") and raw.get(RELEASED_ALIAS) not in (None, ""):
        try:
            released_at = parse_datetime(raw.get(RELEASED_ALIAS))
        except ValueError as exc:
            errors.add(index, RELEASED_ALIAS, str(exc))
        else:
            if "cleared_at" in times and released_at != times["cleared_at"]:
                errors.add(
                    index,
                    RELEASED_ALIAS,
                    _("released_at is another name for cleared_at: give one of them, or the same time."),
                )

    latest: tuple[str, datetime.datetime] | None = None
    for name in STAGE_ORDER:
        if name not in times:
            continue
        if latest is not None and times[name] < latest[1]:
            if (latest[0], name) == ("registered_at", "cleared_at"):
                message = _("Clearance cannot come before registration.")
            else:
                message = _("This time cannot come before %(earlier)s.") % {"earlier": latest[0]}
            errors.add(index, name, message)
        else:
            latest = (name, times[name])
    return times


def resolve_batch(
    raw_items: list, user, *, row_numbers: list[int] | None = None
) -> tuple[list[ResolvedDeclaration], BatchErrors]:
    """Check a whole batch and resolve its codes, with a fixed number of queries whatever its size.

    Branches outside `user`'s scope are reported as unknown: an integration client of one department
    cannot write into another's. `row_numbers` (file import) makes messages that point at another
    item name its spreadsheet row instead of its index.
    """
    errors = BatchErrors()
    parsed: list[tuple[int, DeclarationInput]] = []
    seen_numbers: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        item = parse_item(raw, index, errors)
        if item is None:
            continue
        if item.number in seen_numbers:
            first = seen_numbers[item.number]
            if row_numbers is None:
                message = _("This number is already item %(index)s of the batch.") % {"index": first}
            else:
                message = _("This number is already in row %(row)s.") % {"row": row_numbers[first]}
            errors.add(index, "number", message)
            continue
        seen_numbers[item.number] = index
        parsed.append((index, item))

    branch_codes = {item.branch_code for _i, item in parsed}
    branches = dict(Branch.objects.for_user(user).filter(code__in=branch_codes).values_list("code", "id"))
    teams = {
        (branch_id, code): team_id
        for branch_id, code, team_id in Team.objects.filter(branch_id__in=branches.values()).values_list(
            "branch_id", "code", "id"
        )
    }
    officer_codes = {code for _i, item in parsed for code, _stage in item.officers}
    officers = dict(Officer.objects.filter(code__in=officer_codes).values_list("code", "id"))
    known_businesses = dict(
        Business.objects.filter(tax_code__in={item.tax_code for _i, item in parsed}).values_list("tax_code", "id")
    )

    resolved: list[ResolvedDeclaration] = []
    for index, item in parsed:
        ok = True
        branch_id = branches.get(item.branch_code)
        if branch_id is None:
            errors.add(index, "branch_code", _("Unknown branch code: %(code)s.") % {"code": item.branch_code})
            ok = False
        team_id = None
        if item.team_code and branch_id is not None:
            team_id = teams.get((branch_id, item.team_code))
            if team_id is None:
                errors.add(
                    index, "team_code", _("Team %(code)s is not a team of this branch.") % {"code": item.team_code}
                )
                ok = False
        officer_pairs = []
        for position, (code, stage) in enumerate(item.officers):
            if code not in officers:
                errors.add(index, f"officers[{position}].code", _("Unknown officer code: %(code)s.") % {"code": code})
                ok = False
            else:
                officer_pairs.append((officers[code], stage))
        business_id = known_businesses.get(item.tax_code)
        if business_id is None and not item.business_name:
            errors.add(index, "business_name", _("The name is required for a business not yet known to the portal."))
            ok = False
        if ok:
            assert branch_id is not None  # an unknown branch code is not ok
            resolved.append(
                ResolvedDeclaration(
                    number=item.number,
                    type_code=item.type_code,
                    channel=item.channel,
                    tax_code=item.tax_code,
                    business_name=item.business_name,
                    branch_id=branch_id,
                    team_id=team_id,
                    officers=officer_pairs,
                    registered_at=item.registered_at,
                    cleared_at=item.cleared_at,
                    business_id=business_id,
                    **item.stage_times,
                )
            )
    return resolved, errors
