"""`python manage.py rebuild_rollups`: recompute every rollup row from scratch, in one transaction."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.rollups import rebuild_rollups


class Command(BaseCommand):
    # Lazy text is resolved when --help prints it; the stubs type BaseCommand.help as str only.
    help = gettext_lazy(  # type: ignore[assignment]
        "Recompute the rating figures (rollups) from all ratings, declarations and corrections, in one transaction."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        result = rebuild_rollups()
        self.stdout.write(
            _("Rollups rebuilt up to rating %(ratings)s and declaration %(declarations)s in %(seconds).1f s.")
            % {
                "ratings": result.ratings_to,
                "declarations": result.declarations_to,
                "seconds": time.monotonic() - started,
            }
        )
