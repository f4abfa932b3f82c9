"""`python manage.py rebuild_charter`: recompute the charter compliance figures from scratch, in one transaction."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from charter.rollup import rebuild_compliance


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]
        "Recompute the service charter compliance figures from all declarations, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retime",
            action="store_true",
            help=gettext_lazy("Time every declaration again first (done by itself after a calendar change)."),
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        result = rebuild_compliance(retime=options["retime"])
        self.stdout.write(
            _("Charter figures rebuilt up to declaration %(declarations)s in %(seconds).1f s.")
            % {"declarations": result.declarations_to, "seconds": time.monotonic() - started}
        )
