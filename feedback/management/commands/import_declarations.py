import csv
import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from tqdm import tqdm

from core.xlsx_reader import Limits, UnreadableWorkbook, read_rows
from directory.choices import Role
from directory.models import User
from directory.permissions import has_role
from feedback.declarations.checks import FIELDS, OPTIONAL_FIELDS, RELEASED_ALIAS, BatchErrors, resolve_batch
from feedback.declarations.services import DeclarationBatchError, IngestResult, ingest_declarations

CHUNK_SIZE = 1000
# A clearance system's export: up to some hundred thousand declarations, ten columns.
IMPORT_LIMITS = Limits(max_rows=200_000, max_columns=50, max_cell_chars=1_000)
# Spellings of dates in files exported by Vietnamese software; ISO 8601 is understood by ingest itself.
LOCAL_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


class Command(BaseCommand):
    # A property: argparse cannot format lazy text. (The stubs type BaseCommand.help as a plain attribute.)
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Import cleared declarations from an .xlsx (first sheet) or .csv (UTF-8, comma separated) file whose "
            "header row names the columns: number, type_code, channel, business_tax_code, business_name, "
            "branch_code, team_code, officers, registered_at, cleared_at; optionally the stage times received_at, "
            "document_check_done_at and inspection_done_at (released_at is another name for cleared_at). "
            "`officers` lists CODE:stage pairs "
            "separated by semicolons, e.g. OA1:reception;OA2:release (stages: reception, document_check, "
            "physical_inspection, release). Dates are Excel dates, ISO 8601 (2026-05-15T09:30:00+07:00) or "
            "dd/mm/yyyy hh:mm, in Vietnamese time unless an offset is given. A declaration already known is "
            "updated when it changed. All or nothing: every row is checked first and any error cancels the import."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("The .xlsx or .csv file to import."))
        parser.add_argument(
            "--user",
            help=_(
                "Account the import is audited as; its scope limits the branches it may write "
                "(default: the first active administrator)."
            ),
        )

    def handle(self, *args, file: Path, user: str | None, **options):
        actor = _importing_user(user)
        items, row_numbers = read_declaration_rows(file)
        self.stderr.write(_("Read %(count)s rows; checking them…") % {"count": len(items)})

        _resolved, errors = resolve_batch(items, actor, row_numbers=row_numbers)
        if errors:
            raise CommandError(_format_errors(errors, row_numbers))

        total = IngestResult()
        progress_stream = options.get("stderr") or sys.stderr
        with (
            tqdm(total=len(items), unit=_("rows"), file=progress_stream, desc=_("Writing")) as progress,
            transaction.atomic(),
        ):
            for start in range(0, len(items), CHUNK_SIZE):
                chunk = items[start : start + CHUNK_SIZE]
                try:
                    result = ingest_declarations(chunk, actor=actor)
                except DeclarationBatchError as exc:
                    # Only if the directory changed since the check above; the whole file is rolled back.
                    raise CommandError(_format_errors(exc.errors, row_numbers[start : start + CHUNK_SIZE]))
                total.created += result.created
                total.updated += result.updated
                total.unchanged += result.unchanged
                progress.update(len(chunk))

        self.stdout.write(
            _("Rows read: %(read)s. Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.")
            % {"read": len(items), "created": total.created, "updated": total.updated, "unchanged": total.unchanged}
        )


def _importing_user(username: str | None) -> User:
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user named %(username)s.") % {"username": username})
        # The same roles that may push declarations through the API, plus department staff who upload exports.
        if not has_role(user, Role.INTEGRATION, Role.DEPARTMENT_STAFF):
            raise CommandError(
                _(
                    "User %(username)s may not import declarations: use an administrator, department staff or "
                    "integration account."
                )
                % {"username": username}
            )
        return user
    user = User.objects.filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError(_("There is no active administrator; name the importing account with --user."))
    return user


def read_declaration_rows(path: Path) -> tuple[list[dict], list[int]]:
    """Rows of the file as API-shaped dicts, and the spreadsheet row number of each (blank rows skipped)."""
    if not path.is_file():
        raise CommandError(_("No such file: %(path)s.") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        header, rows = _read_xlsx(path)
    elif suffix == ".csv":
        header, rows = _read_csv(path)
    else:
        raise CommandError(_("Give an .xlsx or .csv file, not %(suffix)s.") % {"suffix": suffix or path.name})

    columns = [str(name).strip().lower() if name is not None else "" for name in header]
    # Every column is required, even those whose cells may be blank: an upsert replaces the whole
    # declaration, so a file without `officers` or `cleared_at` would silently erase them.
    # (A `released_at` column stands for `cleared_at`.)
    missing = [
        name for name in FIELDS if name not in columns and not (name == "cleared_at" and RELEASED_ALIAS in columns)
    ]
    if missing:
        raise CommandError(_("Missing columns in the header row: %(columns)s.") % {"columns": ", ".join(missing)})
    # The stage times are optional columns: a file without them stores no stage times, as before.
    position = {name: columns.index(name) for name in (*FIELDS, *OPTIONAL_FIELDS) if name in columns}

    items, row_numbers = [], []
    for row_number, values in rows:
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        cells = {name: _cell(values[i]) if i < len(values) else None for name, i in position.items()}
        items.append(_to_item(cells))
        row_numbers.append(row_number)
    return items, row_numbers


def _read_xlsx(path: Path):
    """The header row, then the data rows read lazily: read_declaration_rows checks the header before a
    single data row is read. Every limit and formula is refused naming the file (and the cell)."""
    rows = read_rows(path, IMPORT_LIMITS)
    try:
        _number, header = next(rows, (1, ()))
    except UnreadableWorkbook as exc:
        raise CommandError(_unreadable(path, exc)) from None
    return header, _guarded(path, rows)


def _guarded(path: Path, rows):
    try:
        yield from rows
    except UnreadableWorkbook as exc:
        raise CommandError(_unreadable(path, exc)) from None


def _unreadable(path: Path, exc: UnreadableWorkbook) -> str:
    return _("Cannot import %(path)s: %(error)s") % {"path": path, "error": exc.message}


def _read_csv(path: Path):
    try:
        # utf-8-sig drops the byte-order mark Excel writes when saving "CSV UTF-8".
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None) or []
            data = list(enumerate(reader, start=2))
    except UnicodeDecodeError:
        raise CommandError(_("%(path)s is not UTF-8 text; save it as CSV UTF-8.") % {"path": path})
    return header, data


def _cell(value):
    """Undo what spreadsheets do to values: integral floats, dates without a time, padded text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    if isinstance(value, str):
        return value.strip()
    return value


def _to_item(cells: dict) -> dict:
    item = dict(cells)
    tax_code = cells["business_tax_code"]
    if isinstance(tax_code, int):
        # Excel drops the leading zero of codes such as 0100109106 (Hà Nội) when typed as a number;
        # 12 digits left means a 13-digit code of a dependent unit.
        digits = str(tax_code)
        item["business_tax_code"] = digits.zfill(13 if len(digits) > 10 else 10)
    for name in ("registered_at", "cleared_at", *OPTIONAL_FIELDS):  # cleared_at may come as released_at
        if name in item:
            item[name] = _local_datetime(cells[name])
    item["officers"] = _officers(cells["officers"])
    return item


def _local_datetime(value):
    if not isinstance(value, str):
        return value
    for date_format in LOCAL_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, date_format)  # noqa: DTZ007 - ingest applies local time
        except ValueError:
            continue
    return value  # ISO text, or garbage that ingest reports by column


def _officers(value) -> list[dict]:
    """`OA1:reception;OA2:release` -> [{code, stage}, ...]; a pair without a stage is left for ingest to report."""
    if value in (None, ""):
        return []
    pairs = []
    for part in str(value).split(";"):
        if part.strip():
            code, _sep, stage = part.partition(":")
            pairs.append({"code": code.strip(), "stage": stage.strip().lower()})
    return pairs


def _format_errors(errors: BatchErrors, row_numbers: list[int]) -> str:
    lines = [_("Nothing was imported; correct these rows and run the import again:")]
    for index in sorted(errors.by_item):
        row = row_numbers[index]
        for field_name, messages in errors.by_item[index].items():
            column, _bracket, rest = field_name.partition("[")
            if column == "non_field_errors":
                where = _("Row %(row)s") % {"row": row}
            elif rest:  # officers[2].code -> the third pair of the officers cell
                entry = int(rest.split("]")[0]) + 1
                where = _("Row %(row)s, column %(column)s (entry %(entry)s)") % {
                    "row": row,
                    "column": column,
                    "entry": entry,
                }
            else:
                where = _("Row %(row)s, column %(column)s") % {"row": row, "column": column}
            lines.extend(f"{where}: {message}" for message in messages)
    return "\n".join(lines)
