"""Export jobs: a big export of rating rows, written by a Celery task (core.jobs) into a file only its owner
may download."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.jobs import BackgroundJob, JobStatus


class ExportJob(BackgroundJob):
    """One export asked for by one user: what (`kind`, `params`), how far it got, and the file it wrote.

    The file lies under MEDIA_ROOT/exports/ and is served only through the job's download view, which
    checks the owner: MEDIA_URL is never served directly.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=20)
    params = models.JSONField(_("parameters"), default=dict)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="export_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def expires_at(self) -> datetime.datetime | None:
        """When the nightly task deletes the file (settings.EXPORT_FILE_DAYS after the job finished)."""
        if self.status != JobStatus.DONE or self.finished_at is None:
            return None
        return self.finished_at + datetime.timedelta(days=settings.EXPORT_FILE_DAYS)

    @property
    def is_expired(self) -> bool:
        """Done, and its file deleted since (reports.exports.services.delete_expired_exports)."""
        return self.status == JobStatus.DONE and not self.file
