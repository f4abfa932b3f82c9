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
from feedback.models import Declaration, Rating
from surveys import demo as surveys_demo


class Command(BaseCommand):
    help = gettext_lazy(
        "Build (or complete) the demo department: units, officers, businesses, users, declarations and ratings."
    )

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

        def rating_progress(done: int, total: int) -> None:
            self.stdout.write(_("Ratings %(done)s/%(total)s written") % {"done": f"{done:,}", "total": f"{total:,}"})

        ratings_started = time.monotonic()
        officer = users["officer"]
        ratings_created = feedback_demo.build_ratings(
            directory.department,
            demo_account=users["business"],
            anchor=anchor,
            spare_officers=[officer.officer_id] if officer.officer_id else [],
            progress=rating_progress,
        )
        ratings_total = Rating.objects.filter(branch__department=directory.department).count()
        self.stdout.write(
            _("Ratings ready (%(seconds).1f s): %(total)s in all, %(created)s new.")
            % {
                "seconds": time.monotonic() - ratings_started,
                "total": f"{ratings_total:,}",
                "created": f"{ratings_created:,}",
            }
        )
        self._build_cases(directory, users)
        self._build_surveys(directory, users, anchor, scale)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo department %(code)s ready in %(seconds).1f s: %(branches)s branches, %(businesses)s "
                    "businesses, %(declarations)s declarations (%(created)s new, %(rate)s per second), "
                    "%(ratings)s ratings. Demo accounts (password “demo”, DEBUG only): %(users)s."
                )
                % {
                    "code": code,
                    "seconds": time.monotonic() - started,
                    "branches": len(directory.branches),
                    "businesses": f"{len(directory.businesses):,}",
                    "declarations": f"{total:,}",
                    "created": f"{result.created:,}",
                    "rate": f"{total / elapsed:,.0f}" if elapsed else "-",
                    "ratings": f"{ratings_total:,}",
                    "users": ", ".join(users),
                }
            )
        )

    def _build_cases(self, directory, users) -> None:
        started = time.monotonic()
        worked = feedback_demo.build_cases(
            directory.department, leader=users["leader"], business_account=users["business"]
        )
        self.stdout.write(
            _("Dissatisfaction cases ready (%(seconds).1f s): %(worked)s.")
            % {
                "seconds": time.monotonic() - started,
                "worked": ", ".join(f"{state} {count:,}" for state, count in worked.items()),
            }
        )

    def _build_surveys(self, directory, users, anchor, scale: float) -> None:
        started = time.monotonic()
        surveys = surveys_demo.build_surveys(directory.department, staff=users["staff"], anchor=anchor, scale=scale)
        self.stdout.write(
            _("CDCI surveys ready (%(seconds).1f s): %(last)s (closed) and %(this)s (open).")
            % {"seconds": time.monotonic() - started, "last": surveys.last_year.title, "this": surveys.this_year.title}
        )
        if surveys.sample_code:
            from surveys.services import answer_url

            self.stdout.write(
                _("Try the public questionnaire with a demo invitation code: %(url)s")
                % {"url": answer_url(surveys.sample_code)}
            )
        self._build_cdci(surveys.last_year)

    def _build_cdci(self, campaign) -> None:
        from reports import cdci_demo

        started = time.monotonic()
        publication = cdci_demo.publish_demo_cdci(campaign)
        if publication is not None:
            self.stdout.write(
                _("CDCI %(year)s computed and published (%(seconds).1f s): version %(version)s.")
                % {"year": campaign.year, "seconds": time.monotonic() - started, "version": publication.version}
            )
