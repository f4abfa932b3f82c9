"""The one way the portal reads an uploaded .xlsx: bounded in size, shape, memory and time.

A small file can ask for a lot: a 27 KB sheet declaring A1:XFD1048576 made openpyxl build a billion
empty cells, a 4.6 MB zip bomb inflated past the memory, and an XML DTD can define entities that
expand. Before openpyxl sees the file, the zip's members are checked (total uncompressed size, ratio,
the shared-strings table that read-only mode still loads whole) and every XML member is scanned for a
DTD; then the sheet is read in read-only (streaming) mode with its declared dimension checked first
and the row count, column count, cell length and elapsed time checked while reading. Formulas are
refused with the cell named: a formula's value is whatever Excel last computed, or nothing.

Every refusal is `UnreadableWorkbook` with a message for the person who uploaded the file.
"""

import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_rows: int = 50_000
    max_columns: int = 200
    max_cell_chars: int = 5_000
    max_seconds: float = 60.0
    # What the zip may inflate to, in all and for the shared strings (loaded whole even in read-only mode).
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_shared_strings_bytes: int = 20 * 1024 * 1024
    # Inflation of one member; real sheets compress 5 to 30 times, bombs thousands of times.
    max_ratio: int = 200


DEFAULT_LIMITS = Limits()


class UnreadableWorkbook(ValueError):
    """The file is refused; `message` says why, `cell` names the cell when one is at fault ("B7")."""

    def __init__(self, message: str, cell: str = ""):
        super().__init__(message)
        self.message = message
        self.cell = cell


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def check_archive(source, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a zip bomb or XML with a DTD before any XML parser runs; `source` is rewound."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook(_("This file cannot be read as an Excel workbook.")) from exc
    with archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > limits.max_uncompressed_bytes:
            raise UnreadableWorkbook(
                _("This workbook would take %(size)s MB once unpacked; at most %(limit)s MB are accepted.")
                % {"size": total // 2**20, "limit": limits.max_uncompressed_bytes // 2**20}
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 2**20 and ratio > limits.max_ratio:
                raise UnreadableWorkbook(
                    _("This workbook is compressed suspiciously much (%(ratio)s times); it is refused.")
                    % {"ratio": int(ratio)}
                )
            if member.filename.endswith("sharedStrings.xml") and member.file_size > limits.max_shared_strings_bytes:
                raise UnreadableWorkbook(_("This workbook holds too much text; split it into several files."))
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) and _has_dtd(archive, member):
                raise UnreadableWorkbook(
                    _("This workbook contains an XML document type declaration (DTD), which is refused.")
                )
    source.seek(0)


def _has_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            if _DTD.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def read_rows(source, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of the first sheet, from row 1, in streaming mode within `limits`.

    `source`: a path or a seekable binary file. Raises UnreadableWorkbook before reading when the
    archive or the declared dimension is out of bounds, and while reading at the first row, column,
    cell or second past the limits, or at the first formula.
    """

    if isinstance(source, str) or hasattr(source, "__fspath__"):
        with open(source, "rb") as handle:
            yield from read_rows(handle, limits)
        return
    started = time.monotonic()
    check_archive(source, limits)
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise UnreadableWorkbook(_("This file cannot be read as an Excel workbook.")) from exc
    try:
        if not workbook.worksheets:
            raise UnreadableWorkbook(_("This workbook has no sheet."))
        sheet = workbook.worksheets[0]
        _check_dimension(sheet, limits)
        # Never pad rows to the declared width nor add rows up to the declared height: only what is there.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > limits.max_rows + 1:
                raise UnreadableWorkbook(_too_many_rows(limits))
            if len(row) > limits.max_columns and any(cell.value is not None for cell in row[limits.max_columns :]):
                raise UnreadableWorkbook(_too_many_columns(limits))
            if time.monotonic() - started > limits.max_seconds:
                raise UnreadableWorkbook(
                    _("Reading this workbook takes longer than %(seconds)s seconds; it is refused.")
                    % {"seconds": int(limits.max_seconds)}
                )
            yield (
                number,
                tuple(
                    _value(cell, number, position, limits)
                    for position, cell in enumerate(row[: limits.max_columns], start=1)
                ),
            )
    finally:
        workbook.close()


def _check_dimension(sheet, limits: Limits) -> None:
    """The sheet's declared dimension (<dimension ref="A1:XFD1048576"/>), checked before reading a row."""
    rows, columns = sheet.max_row, sheet.max_column
    if rows is not None and rows > limits.max_rows + 1:
        raise UnreadableWorkbook(_too_many_rows(limits))
    if columns is not None and columns > limits.max_columns:
        raise UnreadableWorkbook(_too_many_columns(limits))


def _too_many_rows(limits: Limits) -> str:
    return _("The sheet has more than %(rows)s rows; split it into several files.") % {"rows": limits.max_rows}


def _too_many_columns(limits: Limits) -> str:
    return _("The sheet has more than %(columns)s columns.") % {"columns": limits.max_columns}


def _value(cell, row: int, column: int, limits: Limits):
    value = getattr(cell, "value", None)
    name = f"{column_letter(column)}{row}"
    if getattr(cell, "data_type", None) == "f":
        raise UnreadableWorkbook(
            _("Cell %(cell)s holds a formula; type the value itself.") % {"cell": name},
            cell=name,
        )
    if isinstance(value, str) and len(value) > limits.max_cell_chars:
        raise UnreadableWorkbook(
            _("Cell %(cell)s holds more than %(chars)s characters.") % {"cell": name, "chars": limits.max_cell_chars},
            cell=name,
        )
    return value
