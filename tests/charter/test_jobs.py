"""The charter fold as a job: pinned task names on the beat schedule, safe to run twice, the rebuild
command, and a calendar edited between two folds."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command

from charter import selectors, tasks
from charter.choices import Level
from charter.models import CharterState, WorkingDay
from charter.periods import CharterPeriod
from charter.rollup import fold_compliance
from directory.choices import CalendarDayKind, CharterCode
from directory.models import CalendarDay

from .support import declare, local

pytestmark = pytest.mark.django_db


def test_tasks_keep_their_names_and_run_from_beat():
    assert tasks.fold_compliance_task.name == "charter.tasks.fold_compliance_task"
    assert tasks.rebuild_compliance_task.name == "charter.tasks.rebuild_compliance_task"
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.fold_compliance_task.name, tasks.rebuild_compliance_task.name} <= scheduled


def test_the_task_twice_counts_once(cast, settings):
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0
    declare(cast, received=local(2026, 3, 2, 9, 0), registered=local(2026, 3, 2, 9, 20))
    tasks.fold_compliance_task()
    tasks.fold_compliance_task()
    figures = selectors.unit_figures(Level.DEPARTMENT, [cast.department], cast.department.pk, CharterPeriod.year(2026))
    assert figures[cast.department.pk][0].measured == 1


def test_the_rebuild_command_reports_its_watermark(cast, settings):
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0
    out = io.StringIO()
    call_command("rebuild_charter", stdout=out)
    assert str(CharterState.objects.get(pk=1).declaration_watermark) in out.getvalue()


def test_a_swap_day_added_between_folds_counts_for_the_next_declarations(cast):
    def document_median():
        figures = selectors.unit_figures(
            Level.BRANCH, [cast.branch_a], cast.department.pk, CharterPeriod.parse("2026-03")
        )
        return {f.code: f for f in figures[cast.branch_a.pk]}[CharterCode.DOCUMENT_CHECK].median_minutes

    # Fri 16:30 -> Sat 08:00: 30 working minutes while Saturday is a day off.
    declare(cast, registered=local(2026, 3, 13, 16, 30), document=local(2026, 3, 14, 8, 0))
    fold_compliance(lag_seconds=0)
    assert document_median() == 30
    saturday = (datetime.date(2026, 3, 14) - datetime.date(1970, 1, 1)).days
    assert WorkingDay.objects.get(department_id=cast.department.pk, day=saturday).before_seconds > 0
    CalendarDay.objects.create(
        department=cast.department, date=datetime.date(2026, 3, 14), kind=CalendarDayKind.WORKING_DAY
    )
    declare(cast, registered=local(2026, 3, 13, 16, 30), document=local(2026, 3, 14, 8, 0))
    declare(cast, registered=local(2026, 3, 13, 16, 30), document=local(2026, 3, 14, 8, 0))
    fold_compliance(lag_seconds=0)
    # The two new ones take 60 minutes (30 on Friday, 30 on the swap Saturday): the median moves to 60.
    assert document_median() == 60
    assert WorkingDay.objects.get(department_id=cast.department.pk, day=saturday).morning_end > 0
