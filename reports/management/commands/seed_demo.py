"""`python manage.py seed_demo`: the demo department, deterministic and safe to run again.

Each app builds its own demo rows (directory.demo, feedback.demo); this command, in the one app that
may import all the others, calls them in order. Later modules add their builders here.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory import demo as directory_demo
from feedback import demo as feedback_demo
from feedback.models import Declaration


class Command(BaseCommand):
    help = gettext_lazy("Build (or complete) the demo department: units, officers, businesses, users and declarations.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=gettext_lazy(
                "Multiply the number of businesses and declarations (benchmarks); units and officers stay."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=gettext_lazy("Do nothing when the demo department already has declarations (fast restarts)."),
        )

    def handle(self, *args, scale: float, if_empty: bool, **options):
        if scale <= 0:
            raise CommandError(_("--scale must be a positive number."))
        code = directory_demo.DEPARTMENT_CODE
        if if_empty and Declaration.objects.filter(branch__department__code=code).exists():
            self.stdout.write(_("Demo data is already there (department %(code)s); nothing to do.") % {"code": code})
            return

        started = time.monotonic()
        anchor = directory_demo.month_anchor()
        directory = directory_demo.build_directory(scale=scale, anchor=anchor)
        profiles = feedback_demo.business_profiles(directory.businesses)
        users = directory_demo.build_demo_users(
            directory, business_tax_codes=feedback_demo.demo_account_businesses(profiles)
        )
        created = ", ".join(f"{name} {count:,}" for name, count in directory.created.items())
        self.stdout.write(
            _("Directory ready (%(seconds).1f s); new rows: %(created)s.")
            % {
                "seconds": time.monotonic() - started,
                "created": created,
            }
        )

        def progress(done: int, total: int, result) -> None:
            self.stdout.write(
                _("Declarations %(done)s/%(total)s: %(created)s created, %(unchanged)s unchanged, %(updated)s updated")
                % {
                    "done": f"{done:,}",
                    "total": f"{total:,}",
                    "created": f"{result.created:,}",
                    "unchanged": f"{result.unchanged:,}",
                    "updated": f"{result.updated:,}",
                }
            )

        declarations_started = time.monotonic()
        result = feedback_demo.build_declarations(
            directory.department,
            directory.businesses,
            actor=users["integration"],
            scale=scale,
            anchor=anchor,
            progress=progress,
        )
        elapsed = time.monotonic() - declarations_started
        total = result.created + result.updated + result.unchanged
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo department %(code)s ready in %(seconds).1f s: %(branches)s branches, %(businesses)s "
                    "businesses, %(declarations)s declarations (%(created)s new, %(rate)s per second). "
                    "Demo accounts (password “demo”, DEBUG only): %(users)s."
                )
                % {
                    "code": code,
                    "seconds": time.monotonic() - started,
                    "branches": len(directory.branches),
                    "businesses": f"{len(directory.businesses):,}",
                    "declarations": f"{total:,}",
                    "created": f"{result.created:,}",
                    "rate": f"{total / elapsed:,.0f}" if elapsed else "-",
                    "users": ", ".join(users),
                }
            )
        )
