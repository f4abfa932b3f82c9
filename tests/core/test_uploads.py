"""The edge check of attached files: content, not names, decides; nothing outside the limits passes."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import check_upload, check_uploads, clean_original_name

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("bien-ban.pdf", PDF, "application/pdf"), ("c-o.JPEG", JPEG, "image/jpeg"), ("anh.png", PNG, "image/png")],
)
def test_whole_pdf_jpeg_and_png_are_accepted_with_their_kind(name, content, content_type):
    checked = check_upload(upload(name, content))
    assert checked.kind.content_type == content_type
    assert checked.size == len(content)
    assert len(checked.sha256) == 64
    assert checked.original_name == name


def test_an_html_page_named_pdf_is_refused_whatever_the_browser_says():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("hoa-don.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"))
    assert error.value.code == "file_type"
    assert "hoa-don.pdf" in str(error.value.messages)


def test_a_pdf_named_png_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("anh.png", PDF))
    assert error.value.code == "file_type"


def test_a_truncated_file_is_refused_as_damaged():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("bien-ban.pdf", PDF[:-8]))
    assert error.value.code == "damaged"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("bien-ban.pdf", b""))
    assert error.value.code == "empty"


def test_a_file_over_the_limit_is_refused_naming_the_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 1_048_576
    big = PDF[:-6] + b" " * (1_048_576 // 2 * 3) + b"%%EOF\n"
    with pytest.raises(ValidationError) as error:
        check_upload(upload("lon.pdf", big))
    assert error.value.code == "too_large"
    assert (error.value.params["size"], error.value.params["limit"]) == ("1.5", "1")
    settings.ATTACHMENT_MAX_BYTES = len(big)
    assert check_upload(upload("lon.pdf", big)).size == len(big)


def test_more_files_than_allowed_at_once_are_refused(settings):
    settings.ATTACHMENTS_PER_MESSAGE = 2
    with pytest.raises(ValidationError) as error:
        check_uploads([upload(f"{n}.pdf", PDF) for n in range(3)])
    assert error.value.code == "too_many"
    assert len(check_uploads([upload("a.pdf", PDF), upload("b.png", PNG)])) == 2


def test_original_names_lose_paths_and_control_characters_and_stay_short():
    assert clean_original_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_original_name('C:\\Users\\a\\"x"\x00.pdf') == "x.pdf"
    long_name = clean_original_name("a" * 300 + ".pdf")
    assert len(long_name) == 150 and long_name.endswith(".pdf")
