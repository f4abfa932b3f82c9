"""Read-only admin views of the rating rollups: they are rebuilt, never edited."""

from django.contrib import admin

from directory.admin_base import ReadOnlyAdmin

from .models import RatingRollup, RollupState


@admin.register(RatingRollup)
class RatingRollupAdmin(ReadOnlyAdmin):
    list_display = (
        "unit_kind",
        "unit_id",
        "month",
        "channel",
        "cleared",
        "rated",
        "level_1",
        "level_2",
        "level_3",
        "level_4",
        "level_5",
    )
    list_filter = ("unit_kind", "channel", "month")
    search_fields = ("unit_id",)


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = ("rating_watermark", "declaration_watermark", "folded_at", "rebuilt_at")
    search_fields = ("rating_watermark",)
