"""Files that users attach (a delivery record, a certificate of origin): checked at the edge, stored privately.

Only PDF, JPEG and PNG are taken, and the check reads the content, not the name or the browser's declared
type: a file is accepted when its first bytes are the format's signature and its last bytes are the
format's end marker (a truncated upload or an HTML page renamed .pdf is refused), its size is within
settings.ATTACHMENT_MAX_BYTES and its extension names the same format. The stored name is random, so a
user's file name never becomes a path; the original name is kept for display only.

Files lie under MEDIA_ROOT/attachments/, which no URL serves: `attachment_response` is the only way out, and
the view that calls it must first check that the user may see what the file is attached to.
"""

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str
    extensions: frozenset[str]
    signature: bytes
    end_marker: bytes
    # How far before the end the marker may sit (PDF writers add line ends or padding after %%EOF).
    end_window: int


KINDS = (
    FileKind("pdf", "application/pdf", frozenset({"pdf"}), b"%PDF-", b"%%EOF", 1024),
    FileKind("jpg", "image/jpeg", frozenset({"jpg", "jpeg"}), b"\xff\xd8\xff", b"\xff\xd9", 64),
    FileKind("png", "image/png", frozenset({"png"}), b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82", 16),
)
CONTENT_TYPES = {kind.content_type for kind in KINDS}
ORIGINAL_NAME_MAX = 150


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed `check_upload`: what to store about it."""

    upload: UploadedFile
    kind: FileKind
    original_name: str
    size: int
    sha256: str


def clean_original_name(name: str) -> str:
    """The user's file name, safe to display and to send back in Content-Disposition."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = re.sub(r"[\x00-\x1f\x7f\"<>]", "", name).strip() or "file"
    if len(name) > ORIGINAL_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: ORIGINAL_NAME_MAX - len(extension) - 1] + dot + extension) if dot else name[:ORIGINAL_NAME_MAX]
    return name


def _read_ends(upload: UploadedFile, head: int, tail: int) -> tuple[bytes, bytes]:
    upload.seek(0)
    first = upload.read(head)
    size = upload.size or 0
    upload.seek(max(size - tail, 0))
    last = upload.read(tail)
    upload.seek(0)
    return first, last


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload if it is a whole PDF, JPEG or PNG within the size limit; otherwise a ValidationError
    saying what is wrong, in the user's language (the caller attaches it to its field)."""
    size = upload.size or 0
    limit = settings.ATTACHMENT_MAX_BYTES
    name = clean_original_name(upload.name or "")
    if size == 0:
        raise ValidationError(_("The file %(name)s is empty."), code="empty", params={"name": name})
    if size > limit:
        raise ValidationError(
            _("The file %(name)s is %(size)s MB; files may be at most %(limit)s MB."),
            code="too_large",
            params={"name": name, "size": f"{size / 1_048_576:.1f}", "limit": f"{limit / 1_048_576:g}"},
        )
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    first, last = _read_ends(upload, 16, max(kind.end_window for kind in KINDS))
    kind = next((k for k in KINDS if first.startswith(k.signature)), None)
    if kind is None or extension not in kind.extensions:
        raise ValidationError(
            _("The file %(name)s is not a PDF, JPEG or PNG file."), code="file_type", params={"name": name}
        )
    if kind.end_marker not in last[-kind.end_window :]:
        raise ValidationError(
            _("The file %(name)s is damaged or incomplete; please attach it again."),
            code="damaged",
            params={"name": name},
        )
    return CheckedFile(upload=upload, kind=kind, original_name=name, size=size, sha256=_sha256(upload))


def check_uploads(uploads: list[UploadedFile]) -> list[CheckedFile]:
    """Every upload checked; at most settings.ATTACHMENTS_PER_MESSAGE of them."""
    if len(uploads) > settings.ATTACHMENTS_PER_MESSAGE:
        raise ValidationError(
            _("Attach at most %(limit)s files at a time."),
            code="too_many",
            params={"limit": settings.ATTACHMENTS_PER_MESSAGE},
        )
    return [check_upload(upload) for upload in uploads]


def stored_path(instance: models.Model, filename: str) -> str:
    """attachments/YYYY/MM/<random>.<ext>: never the user's name."""
    extension = filename.rpartition(".")[2].lower()
    return timezone.now().strftime(f"attachments/%Y/%m/{uuid.uuid4().hex}.{extension}")


class Attachment(models.Model):
    """Fields every attached file keeps; a concrete model adds what the file is attached to."""

    file = models.FileField(_("file"), upload_to=stored_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=ORIGINAL_NAME_MAX)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        abstract = True

    def fill_from(self, checked: CheckedFile) -> None:
        """Set the file fields from a checked upload (the file is written when the row is saved)."""
        checked.upload.name = f"upload.{checked.kind.extension}"
        self.file = checked.upload
        self.original_name = checked.original_name
        self.content_type = checked.kind.content_type
        self.size = checked.size
        self.sha256 = checked.sha256


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download under its original name. Call it only after checking the user may see it."""
    known = attachment.content_type in CONTENT_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type if known else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
