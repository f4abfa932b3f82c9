"""Crafted workbooks for the fault tests: a tiny file declaring the whole sheet, a zip bomb, a DTD."""

import io
import re
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def plain_workbook(rows=(("number", "name"), ("1", "a"))) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, member: str, change) -> bytes:
    """`content` with `member` replaced by change(its bytes)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename == member else data)
    return buffer.getvalue()


def whole_sheet_declared() -> bytes:
    """The issue's 27 KB file: a dimension of A1:XFD1048576, and cells at its far corners."""

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    return rewritten(plain_workbook(), SHEET, change)


def far_rows_undeclared() -> bytes:
    """No dimension at all, a row a million rows down: only reading can tell."""

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b"", xml)
        far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    return rewritten(plain_workbook(), SHEET, change)


def zip_bomb(megabytes: int) -> bytes:
    """A workbook whose sheet inflates to `megabytes` MB of blanks (a few hundred KB packed)."""
    content = plain_workbook()
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info.filename, source.read(info))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            head, tail = source.read(SHEET).split(b"<sheetData>")
            sheet.write(head + b"<sheetData>")
            blank = b" " * 2**20
            for _ in range(megabytes):
                sheet.write(blank)
            sheet.write(tail)
    return buffer.getvalue()


def with_dtd(member: str = "xl/workbook.xml") -> bytes:
    """Entities defined in a DTD (the "billion laughs" family), in `member`."""
    dtd = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'

    def change(xml: bytes) -> bytes:
        if xml.startswith(b"<?xml"):
            return xml.replace(b"?>", b"?>" + dtd, 1)
        return dtd + xml

    return rewritten(plain_workbook(), member, change)
