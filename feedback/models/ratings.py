"""Ratings of cleared declarations: the rating itself, each officer's level, and administrators' corrections."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Branch, Business, Officer, Team

from ..choices import DISSATISFIED_LEVELS, Level, SubmissionChannel
from .declarations import Declaration


class Rating(models.Model):
    """A business's rating of one cleared declaration: the branch, the team and (RatingOfficer) each officer.

    One per declaration (UNIQUE). The branch and team are copied from the declaration so the rating
    stays with the units as they were at clearance. A rating is never edited through `save()`: only
    `feedback.ratings.services.correct_rating` changes one, and it keeps the old and new values in a
    RatingCorrection. `is_dissatisfied` (any level 1 or 2, officers included) is stored and indexed
    so the dissatisfaction cases and the reports find them without reading officer rows.
    """

    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, related_name="rating", verbose_name=_("declaration")
    )
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("business"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("submitted by")
    )
    submitted_via = models.CharField(_("submitted via"), max_length=3, choices=SubmissionChannel.choices)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("branch"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings", verbose_name=_("team")
    )
    branch_level = models.PositiveSmallIntegerField(_("branch level"), choices=Level.choices)
    team_level = models.PositiveSmallIntegerField(_("team level"), choices=Level.choices, null=True, blank=True)
    # Lists of Reason values; JSON so that SQLite (the embedded mode) stores them too.
    branch_reasons = models.JSONField(_("reasons (branch)"), default=list, blank=True)
    team_reasons = models.JSONField(_("reasons (team)"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=2000, blank=True)
    is_dissatisfied = models.BooleanField(_("dissatisfied"), default=False)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(branch_level__gte=1, branch_level__lte=5), name="rating_branch_level_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(team_level__isnull=True) | Q(team_level__gte=1, team_level__lte=5),
                name="rating_team_level_1_to_5",
            ),
            # Officer levels live in another table, but the branch and team part of the flag can be enforced.
            models.CheckConstraint(
                condition=Q(is_dissatisfied=True)
                | (Q(branch_level__gte=3) & (Q(team_level__isnull=True) | Q(team_level__gte=3))),
                name="rating_dissatisfied_covers_levels",
            ),
            models.CheckConstraint(
                condition=Q(submitted_via__in=SubmissionChannel.values), name="rating_submitted_via_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="rating_created_idx"),
            models.Index(fields=["business", "-created_at"], name="rating_business_idx"),
            # Few ratings are dissatisfied: a partial index stays small and serves the case inbox.
            models.Index(fields=["created_at"], condition=Q(is_dissatisfied=True), name="rating_dissatisfied_idx"),
            # The dashboards' recent comments of a branch or team, newest first: a few percent of ratings
            # carry a comment, so these stay small and the newest twenty are read without a sort.
            models.Index(fields=["branch", "-created_at"], condition=~Q(comment=""), name="rating_branch_comment_idx"),
            models.Index(fields=["team", "-created_at"], condition=~Q(comment=""), name="rating_team_comment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.branch_level}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A rating cannot be changed; an administrator records a correction instead."))
        super().save(*args, **kwargs)

    @property
    def worst_level(self) -> int:
        """The lowest level given anywhere in the rating (branch, team, each officer). Lists show this one:
        a rating whose officer got a 2 must not read as satisfied because the branch got a 4. Reads
        `officer_ratings` through the caller's prefetch."""
        levels = [self.branch_level, *(o.level for o in self.officer_ratings.all())]
        if self.team_level is not None:
            levels.append(self.team_level)
        return min(levels)

    @property
    def worst_level_label(self) -> str:
        return str(Level(self.worst_level).label)


class RatingOfficer(models.Model):
    """The level one officer who handled the declaration received in a rating, with their team that day."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="officer_ratings")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("officer"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team on that day")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("officer rating")
        verbose_name_plural = _("officer ratings")
        ordering = ["rating_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "officer"], name="officer_rated_once_per_rating"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="rating_officer_level_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["officer", "rating"], name="rating_officer_idx"),
            # An officer's cases (their inbox, home page, case scoping) start from the ratings in which they
            # were rated 1 or 2: a few dozen rows here, instead of every rating of the officer.
            models.Index(
                fields=["officer", "rating"], condition=Q(level__in=DISSATISFIED_LEVELS), name="rating_officer_low_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating_id}: {self.officer_id} {self.level}"


class RatingCorrection(models.Model):
    """An administrator's correction of a rating: who, why, and each changed value before and after.

    Append-only like the audit trail. `changes` maps a field ("branch_level", "comment", or
    "officer:<code>") to [old, new], so reports can replay a correction as a delta of counts.
    """

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="corrections")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("corrected by")
    )
    reason = models.TextField(_("why"))
    changes = models.JSONField(_("changes"))
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("rating correction")
        verbose_name_plural = _("rating corrections")
        ordering = ["rating_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rating_id} @ {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A rating correction cannot be changed."))
        super().save(*args, **kwargs)
