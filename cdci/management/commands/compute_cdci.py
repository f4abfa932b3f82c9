"""`python manage.py compute_cdci YEAR [--department CODE] [--publish NOTE]`: score a closed campaign now,
in this process (whatever the broker), print its ranking, and optionally publish the draft."""

import dataclasses

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.jobs import JobStatus
from surveys.models import Campaign

from ... import services
from ...selectors import tier_label


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # a lazy string, translated when help is shown
        "Compute the CDCI of a closed campaign (a draft), print the ranking, optionally publish it."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--department", help=gettext_lazy("Department code, when several ran a campaign that year.")
        )
        parser.add_argument(
            "--replicates", type=int, help=gettext_lazy("Study only: replace the campaign's number of replicates.")
        )
        parser.add_argument(
            "--business-weight", type=float, help=gettext_lazy("Study only: replace the campaign's survey share.")
        )
        parser.add_argument(
            "--min-respondents", type=int, help=gettext_lazy("Study only: replace the campaign's minimum of responses.")
        )
        parser.add_argument("--publish", metavar="NOTE", help=gettext_lazy("Publish the draft with this note."))
        parser.add_argument(
            "--despite-warnings",
            action="store_true",
            help=gettext_lazy("Publish even though the checklist warns (units below the minimum, coverage)."),
        )
        parser.add_argument("--reason", default="", help=gettext_lazy("Reason, when a version is already published."))

    def handle(
        self,
        *args,
        year: int,
        department,
        replicates,
        business_weight,
        min_respondents,
        publish,
        reason,
        despite_warnings,
        **options,
    ):
        campaigns = Campaign.objects.filter(year=year).select_related("department")
        if department:
            campaigns = campaigns.filter(department__code=department)
        found = list(campaigns[:2])
        if not found:
            raise CommandError(_("No campaign for %(year)s.") % {"year": year})
        if len(found) > 1:
            raise CommandError(
                _("Several departments ran a campaign in %(year)s: name one with --department.") % {"year": year}
            )
        campaign = found[0]
        run_options = None  # the campaign's method, fixed before its survey opened
        if any(value is not None for value in (replicates, business_weight, min_respondents)):
            if publish:
                raise CommandError(_("A published ranking follows the campaign's method: drop the study options."))
            fixed = services.method_options(campaign)
            share = fixed.business_weight if business_weight is None else business_weight
            run_options = dataclasses.replace(
                fixed,
                business_weight=share,
                assessment_weight=100 - share,
                replicates=fixed.replicates if replicates is None else replicates,
                min_respondents=fixed.min_respondents if min_respondents is None else min_respondents,
            )
        try:
            run = services.compute_now(campaign, actor=None, options=run_options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if run.status != JobStatus.DONE:
            raise CommandError(_("The computation failed: %(error)s") % {"error": run.error})
        assert run.result is not None  # a finished run has its result
        for unit in run.result["units"]:
            interval = ""
            if unit["total_low"] is not None:
                interval = f"  [{unit['total_low']:.2f}-{unit['total_high']:.2f}]"
            self.stdout.write(
                f"{unit['rank']:>3}. {unit['name']:<40} {unit['total']:6.2f}{interval}  {tier_label(unit['tier'])}"
                f"  (n={unit['respondents']})"
            )
        self.stdout.write(
            _("Draft stored (run %(run)s, input checksum %(checksum)s).")
            % {"run": run.pk, "checksum": run.input_checksum[:16]}
        )
        if publish:
            try:
                for warning in services.publication_checklist(run).warnings:
                    self.stdout.write(self.style.WARNING(str(warning)))
                publication = services.publish_draft(
                    run, actor=None, note=publish, reason=reason, confirmed=True, despite_warnings=despite_warnings
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(
                self.style.SUCCESS(
                    _("Published version %(version)s (SHA-256 %(checksum)s).")
                    % {"version": publication.version, "checksum": publication.checksum}
                )
            )
