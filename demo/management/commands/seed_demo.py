"""`python manage.py seed_demo`: the demo department, deterministic and safe to run again.

The demo app holds one builder per app (demo.directory, demo.feedback, demo.surveys, demo.cdci); it sits
at the top of the import graph, so this command may call them all, in order.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from charter.rollup import rebuild_compliance
from core import clock
from feedback.models import Declaration, Rating
from reports.models import RatingRollup
from reports.rollups import rebuild_rollups
from surveys.services.invitations import answer_url

from ... import cdci as cdci_demo
from ... import directory as directory_demo
from ... import feedback as feedback_demo
from ... import inquiries as inquiries_demo
from ... import surveys as surveys_demo


def number(value: int) -> str:
    """`value` grouped the way the active language writes numbers: 30,769 in English, 30.769 in Vietnamese."""
    return formats.number_format(value, force_grouping=True)


def seconds(value: float) -> str:
    return formats.number_format(value, decimal_pos=1)


def analyze() -> None:
    """Planner statistics for the rows just loaded: autovacuum may be off or late, and without them the
    pages' plans go wrong (PostgreSQL only; SQLite plans without)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    # Lazy text is resolved when --help prints it; the stubs type BaseCommand.help as str only.
    help = gettext_lazy(  # type: ignore[assignment]
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
        # The demo's present: midnight today. Its history starts MONTHS months before the first of the
        # month and runs to yesterday; every run on the same day builds the same rows.
        now = clock.now()
        anchor = directory_demo.month_anchor(now)
        until = directory_demo.day_anchor(now)
        directory = directory_demo.build_directory(scale=scale, anchor=anchor)
        profiles = feedback_demo.business_profiles(directory.businesses)
        demo_tax_codes = feedback_demo.demo_account_businesses(profiles)
        users = directory_demo.build_demo_users(directory, business_tax_codes=demo_tax_codes)
        created = ", ".join(f"{name} {number(count)}" for name, count in directory.created.items())
        self.stdout.write(
            _("Directory ready (%(seconds)s s); new rows: %(created)s.")
            % {
                "seconds": seconds(time.monotonic() - started),
                "created": created,
            }
        )

        def progress(done: int, total: int, result) -> None:
            self.stdout.write(
                _("Declarations %(done)s/%(total)s: %(created)s created, %(unchanged)s unchanged, %(updated)s updated")
                % {
                    "done": number(done),
                    "total": number(total),
                    "created": number(result.created),
                    "unchanged": number(result.unchanged),
                    "updated": number(result.updated),
                }
            )

        declarations_started = time.monotonic()
        # The `business` account's first business (the one it administers) rates the `officer`'s work.
        demo_business = next(b for b in directory.businesses if b.tax_code == demo_tax_codes[0])
        officer = users["officer"]
        result = feedback_demo.build_declarations(
            directory.department,
            directory.businesses,
            actor=users["integration"],
            scale=scale,
            anchor=anchor,
            until=until,
            loop=(demo_business, officer.officer) if officer.officer else None,
            progress=progress,
        )
        elapsed = time.monotonic() - declarations_started
        total = result.created + result.updated + result.unchanged

        def rating_progress(done: int, total: int) -> None:
            self.stdout.write(_("Ratings %(done)s/%(total)s written") % {"done": number(done), "total": number(total)})

        ratings_started = time.monotonic()
        ratings_created = feedback_demo.build_ratings(
            directory.department,
            demo_account=users["business"],
            until=until,
            leader=users["leader"],
            spare_officers=[officer.officer_id] if officer.officer_id else [],
            progress=rating_progress,
        )
        ratings_total = Rating.objects.filter(branch__department=directory.department).count()
        self.stdout.write(
            _("Ratings ready (%(seconds)s s): %(total)s in all, %(created)s new.")
            % {
                "seconds": seconds(time.monotonic() - ratings_started),
                "total": number(ratings_total),
                "created": number(ratings_created),
            }
        )
        analyze()  # the case phase queries what was just loaded
        self._build_cases(directory, users, until)
        self._build_inquiries(directory, users, until)
        self._build_surveys(directory, users, anchor, scale)
        self._build_figures()
        analyze()
        # Again: the cases add the complaints sent lately through submit_rating.
        ratings_total = Rating.objects.filter(branch__department=directory.department).count()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo department %(code)s ready in %(seconds)s s: %(branches)s branches, %(businesses)s "
                    "businesses, %(declarations)s declarations (%(created)s new, %(rate)s per second), "
                    "%(ratings)s ratings. Demo accounts (password “demo”, DEBUG only): %(users)s."
                )
                % {
                    "code": code,
                    "seconds": seconds(time.monotonic() - started),
                    "branches": number(len(directory.branches)),
                    "businesses": number(len(directory.businesses)),
                    "declarations": number(total),
                    "created": number(result.created),
                    "rate": number(round(total / elapsed)) if elapsed else "-",
                    "ratings": number(ratings_total),
                    "users": ", ".join(users),
                }
            )
        )

    def _build_figures(self) -> None:
        """The dashboards read rollups: fold everything just written (a bulk load, so no safety lag)."""
        figures_started = time.monotonic()
        rebuild_rollups(lag_seconds=0)
        rebuild_compliance(lag_seconds=0)  # the service charter's figures, from the demo's stage times
        self.stdout.write(
            _("Rating figures ready (%(seconds)s s): %(rows)s rollup rows.")
            % {"seconds": seconds(time.monotonic() - figures_started), "rows": number(RatingRollup.objects.count())}
        )

    def _build_cases(self, directory, users, until) -> None:
        started = time.monotonic()
        worked = feedback_demo.build_cases(
            directory.department, leader=users["leader"], business_account=users["business"], now=until
        )
        self.stdout.write(
            _("Dissatisfaction cases ready (%(seconds)s s): %(worked)s.")
            % {
                "seconds": seconds(time.monotonic() - started),
                "worked": ", ".join(f"{state} {number(count)}" for state, count in worked.items()),
            }
        )

    def _build_inquiries(self, directory, users, until) -> None:
        worked = inquiries_demo.build_inquiries(
            directory.department,
            business_account=users["business"],
            leader=users["leader"],
            officer=users["officer"],
            staff=users["staff"],
            now=until,
        )
        if worked:
            self.stdout.write(
                _("Inquiries ready: %(worked)s.")
                % {"worked": ", ".join(f"{state} {number(count)}" for state, count in worked.items())}
            )

    def _build_surveys(self, directory, users, anchor, scale: float) -> None:
        started = time.monotonic()
        surveys = surveys_demo.build_surveys(directory.department, staff=users["staff"], anchor=anchor, scale=scale)
        self.stdout.write(
            _("CDCI surveys ready (%(seconds)s s): %(last)s (closed) and %(this)s (open).")
            % {
                "seconds": seconds(time.monotonic() - started),
                "last": surveys.last_year.title,
                "this": surveys.this_year.title,
            }
        )
        if surveys.sample_code:
            self.stdout.write(
                _("Try the public questionnaire with a demo invitation code: %(url)s")
                % {"url": answer_url(surveys.sample_code)}
            )
        self._build_cdci(surveys.last_year)

    def _build_cdci(self, campaign) -> None:
        started = time.monotonic()
        publication = cdci_demo.publish_demo_cdci(campaign)
        if publication is not None:
            self.stdout.write(
                _("CDCI %(year)s computed and published (%(seconds)s s): version %(version)s.")
                % {
                    "year": campaign.year,
                    "seconds": seconds(time.monotonic() - started),
                    "version": publication.version,
                }
            )
