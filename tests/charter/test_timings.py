"""Stored declaration timings (charter.DeclarationTiming): the nightly rebuild counts them again under
today's limits, re-times the declarations the clearance system sent again, and times everything again
after a calendar change."""

import datetime

import pytest

from charter import calendar, selectors
from charter.choices import Level
from charter.models import CharterState, DeclarationTiming, Overrun, PendingDeclaration
from charter.periods import CharterPeriod
from charter.rollup import fold_compliance, rebuild_compliance
from directory.choices import CalendarDayKind, CharterCode
from directory.models import CalendarDay, CharterCommitment
from directory.taxcode import make_tax_codes
from feedback.declarations.services import ingest_declarations

from .support import declare, local

pytestmark = pytest.mark.django_db
YEAR_2026 = CharterPeriod.year(2026)


def fold():
    return fold_compliance(lag_seconds=0)


def rebuild(**options):
    return rebuild_compliance(lag_seconds=0, **options)


def department_figure(cast, code):
    figures = selectors.unit_figures(Level.DEPARTMENT, [cast.department], cast.department.pk, YEAR_2026)
    return {f.code: f for f in figures[cast.department.pk]}[code]


def sent(received: str) -> dict:
    """A declaration as the clearance system sends it: received at `received`, registered at 09:45."""
    return {
        "number": "109000000001",
        "type_code": "A11",
        "channel": "green",
        "business_tax_code": make_tax_codes(57, 1, start=9000)[0],
        "business_name": "Công ty TNHH Lô Hàng",
        "branch_code": "MC",
        "team_code": "MC-TT",
        "officers": [],
        "received_at": f"2026-03-02T{received}:00+07:00",
        "registered_at": "2026-03-02T09:45:00+07:00",
        "cleared_at": "2026-03-02T11:00:00+07:00",
    }


def test_a_declaration_sent_again_is_timed_again_at_the_rebuild(cast):
    # Given a declaration registered 45 minutes after it was received (the limit is 30), folded
    ingest_declarations([sent("09:00")], actor=cast.users.integration)
    fold()
    registration = department_figure(cast, CharterCode.REGISTRATION)
    assert (registration.measured, registration.within) == (1, 0)
    assert Overrun.objects.filter(commitment=CharterCode.REGISTRATION).count() == 1

    # When the clearance system corrects its reception time to 09:30 and the nightly rebuild runs
    ingest_declarations([sent("09:30")], actor=cast.users.integration)
    fold()  # the fold counts each declaration once; corrections wait for the rebuild
    rebuild()

    # Then it is counted once, within its 15 minutes, and is no longer among the worst cases
    registration = department_figure(cast, CharterCode.REGISTRATION)
    assert (registration.measured, registration.within, registration.median_minutes) == (1, 1, 15)
    assert not Overrun.objects.exists()
    assert DeclarationTiming.objects.get().registration == 15 * 60


def test_a_withdrawn_clearance_waits_again_and_is_counted_once_it_returns(cast):
    declaration = declare(cast, received=local(2026, 3, 2, 9, 0), registered=local(2026, 3, 2, 9, 10))
    fold()
    declaration.cleared_at = None
    declaration.save()

    rebuild()
    assert department_figure(cast, CharterCode.REGISTRATION).measured == 0
    assert not DeclarationTiming.objects.exists()
    assert PendingDeclaration.objects.filter(declaration_id=declaration.pk).exists()

    declaration.cleared_at = local(2026, 3, 2, 12, 0)
    declaration.save()
    fold()
    rebuild()
    assert department_figure(cast, CharterCode.REGISTRATION).measured == 1


def test_the_rebuild_counts_stored_timings_and_a_calendar_change_times_them_again(cast):
    # A document check across a swap Saturday the department works: Fri 16:30-17:00 + Sat 07:30-08:00.
    swap = CalendarDay.objects.create(
        department=cast.department, date=datetime.date(2026, 3, 14), kind=CalendarDayKind.WORKING_DAY
    )
    declare(cast, registered=local(2026, 3, 13, 16, 30), document=local(2026, 3, 14, 8, 0))
    fold()
    assert department_figure(cast, CharterCode.DOCUMENT_CHECK).median_minutes == 60

    # The nightly rebuild counts the stored timing, without timing the declaration again ...
    DeclarationTiming.objects.update(document_check=3 * 3600)
    rebuild()
    assert department_figure(cast, CharterCode.DOCUMENT_CHECK).median_minutes == 180
    # ... unless asked to (`rebuild_charter --retime`),
    rebuild(retime=True)
    assert department_figure(cast, CharterCode.DOCUMENT_CHECK).median_minutes == 60

    # and by itself once the department's calendar has changed: without the swap day, 30 minutes.
    swap.delete()
    rebuild()
    assert department_figure(cast, CharterCode.DOCUMENT_CHECK).median_minutes == 30
    assert CharterState.objects.get().timing_fingerprint == calendar.fingerprint()


def test_a_changed_limit_reaches_folded_months_at_the_rebuild(cast):
    declare(cast, registered=local(2026, 3, 2, 7, 30), document=local(2026, 3, 2, 9, 0))  # 90 working minutes
    fold()
    assert department_figure(cast, CharterCode.DOCUMENT_CHECK).within == 1

    CharterCommitment.objects.filter(department=cast.department, code=CharterCode.DOCUMENT_CHECK).update(limit=1)
    rebuild()

    document = department_figure(cast, CharterCode.DOCUMENT_CHECK)
    assert (document.measured, document.within) == (1, 0)
    assert Overrun.objects.get().limit_seconds == 3600
