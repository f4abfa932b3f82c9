"""One-click rating links: a secret URL that lets one business user rate one declaration, once, without
signing in (feedback.ratings.links issues and redeems them)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .declarations import Declaration


class RatingLink(models.Model):
    """A link for `user` to rate `declaration`. Only the SHA-256 of the secret is stored, so the table
    cannot be turned into working links. Usable while used_at and revoked_at are empty and expires_at is
    ahead; using it sets used_at with a conditional UPDATE, so two submissions can never both pass."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="rating_links", verbose_name=_("declaration")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rating_links", verbose_name=_("acts for")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating link")
        verbose_name_plural = _("rating links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["declaration", "user"], name="rating_link_declaration_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id} / {self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"
