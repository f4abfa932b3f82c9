import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from directory.models import AuditEvent, BusinessMembership, OutboxMessage
from feedback.models import Declaration, Rating, RatingCorrection, RatingOfficer
from feedback.ratings.services import AlreadyRated, correct_rating, send_rating_reminders, submit_rating
from tests.conftest import make_declaration


def rate(cast, declaration=None, user=None, **fields):
    fields.setdefault("channel", "web")
    fields.setdefault("branch_level", 5)
    return submit_rating(declaration or cast.dx, user or cast.users.business, **fields)


def test_submit_rating_keeps_units_of_clearance_and_officer_teams(cast):
    rating = rate(
        cast,
        branch_level=4,
        team_level=5,
        officers=[{"code": "oa1", "level": 5}, {"code": "OA2", "level": 3}],
        comment="  Nhanh chóng, chuyên nghiệp.  ",
    )

    rating.refresh_from_db()
    assert (rating.business, rating.branch, rating.team) == (cast.business_x, cast.branch_a, cast.team_a1)
    assert rating.submitted_by == cast.users.business
    assert rating.submitted_via == "web"
    assert rating.comment == "Nhanh chóng, chuyên nghiệp."
    assert not rating.is_dissatisfied
    rows = {row.officer.code: (row.level, row.team_id) for row in rating.officer_ratings.select_related("officer")}
    # conftest links every officer of dx with the declaration's team (A1), not with their current team.
    assert rows == {"OA1": (5, cast.team_a1.pk), "OA2": (3, cast.team_a1.pk)}


@pytest.mark.parametrize(
    "fields",
    [
        {"branch_level": 2, "branch_reasons": ["delay"]},
        {"team_level": 1},
        {"officers": [{"code": "OA2", "level": 2, "reasons": ["harassment", "other"]}]},
    ],
)
def test_submit_rating_any_level_1_or_2_is_dissatisfied(cast, fields):
    assert rate(cast, **fields).is_dissatisfied


def test_submit_rating_reasons_with_satisfied_level_are_refused(cast):
    with pytest.raises(ValidationError) as caught:
        rate(
            cast, branch_level=4, branch_reasons=["delay"], officers=[{"code": "OA1", "level": 3, "reasons": ["other"]}]
        )

    assert set(caught.value.message_dict) == {"branch_reasons", "officers[0].reasons"}
    assert not Rating.objects.exists()


def test_submit_rating_collects_every_field_error_and_writes_nothing(cast):
    with pytest.raises(ValidationError) as caught:
        rate(
            cast,
            branch_level=6,
            team_level=True,
            team_reasons=["bribe"],
            officers=[{"code": "OB1", "level": 5}, {"code": "OA1", "level": 0}],
            comment="x" * 2001,
        )

    assert set(caught.value.message_dict) == {
        "branch_level",
        "team_level",
        "team_reasons",
        "officers[0].code",
        "officers[1].level",
        "comment",
    }
    assert not Rating.objects.exists() and not RatingOfficer.objects.exists()


def test_submit_rating_same_officer_twice_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        rate(cast, officers=[{"code": "OA1", "level": 5}, {"code": "oa1", "level": 4}])
    assert "officers[1].code" in caught.value.message_dict


def test_submit_rating_of_team_on_declaration_without_team_is_refused(cast):
    no_team = make_declaration("101234567899", cast.business_x, cast.branch_a, None)
    with pytest.raises(ValidationError) as caught:
        rate(cast, no_team, team_level=4)
    assert "team_level" in caught.value.message_dict


def test_submit_rating_window_is_a_setting(cast, settings):
    settings.RATING_WINDOW_DAYS = 2  # dx cleared 25 hours ago: still open
    rate(cast)
    old = make_declaration("101234567898", cast.business_x, cast.branch_a, cast.team_a1, days_ago=3)

    with pytest.raises(ValidationError) as caught:
        rate(cast, old)

    assert "declaration" in caught.value.message_dict


@pytest.mark.parametrize("role", ["rival", "outsider", "officer", "team_leader", "leader", "staff", "integration"])
def test_submit_rating_by_anyone_but_the_declarant_is_refused(cast, role):
    with pytest.raises(PermissionDenied):
        rate(cast, user=getattr(cast.users, role))
    assert not Rating.objects.exists()


@pytest.mark.parametrize("role", ["broker", "admin"])
def test_submit_rating_by_broker_or_administrator_is_accepted(cast, role):
    assert rate(cast, user=getattr(cast.users, role)).submitted_by == getattr(cast.users, role)


def test_submit_rating_twice_raises_already_rated(cast):
    rate(cast)
    with pytest.raises(AlreadyRated):
        rate(cast, user=cast.users.broker, branch_level=1)
    assert Rating.objects.get().branch_level == 5


def test_rating_cannot_be_changed_through_save(cast):
    rating = rate(cast)
    rating.branch_level = 1
    with pytest.raises(ValidationError):
        rating.save()
    assert Rating.objects.get().branch_level == 5


@pytest.mark.parametrize("level", [0, 6])
def test_rating_level_outside_1_to_5_is_refused_by_the_database(cast, level):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            declaration=cast.dx,
            business=cast.business_x,
            submitted_by=cast.users.business,
            submitted_via="api",
            branch=cast.branch_a,
            branch_level=level,
            is_dissatisfied=True,
        )


def test_rating_flag_must_cover_branch_and_team_levels_in_the_database(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            declaration=cast.dx,
            business=cast.business_x,
            submitted_by=cast.users.business,
            submitted_via="api",
            branch=cast.branch_a,
            branch_level=5,
            team_level=2,
            is_dissatisfied=False,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_store_exactly_one(cast):
    threads_count = 20
    start = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(level: int) -> None:
        try:
            declaration = Declaration.objects.get(pk=cast.dx.pk)
            start.wait(timeout=30)
            try:
                submit_rating(declaration, cast.users.broker, channel="api", branch_level=level)
                outcome = "stored"
            except AlreadyRated:
                outcome = "already rated"
            except Exception as exc:  # reported below: any other outcome fails the test
                outcome = repr(exc)
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(1 + i % 5,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already rated"] * 19 + ["stored"]
    assert Rating.objects.filter(declaration=cast.dx).count() == 1


def test_correct_rating_keeps_old_and_new_values_and_audits(cast):
    rating = rate(
        cast,
        branch_level=1,
        branch_reasons=["attitude"],
        officers=[{"code": "OA1", "level": 2, "reasons": ["delay"]}],
    )

    corrected = correct_rating(
        rating,
        actor=cast.users.admin,
        reason="Doanh nghiệp chọn nhầm mức",
        branch_level=5,
        officer_levels={"oa1": 4},
    )

    assert (corrected.branch_level, corrected.branch_reasons, corrected.is_dissatisfied) == (5, [], False)
    assert corrected.corrected_at is not None
    assert RatingOfficer.objects.get(rating=rating).level == 4
    correction = RatingCorrection.objects.get(rating=rating)
    assert correction.corrected_by == cast.users.admin
    assert correction.changes == {
        "branch_level": [1, 5],
        "branch_reasons": [["attitude"], []],
        "officer:OA1": [2, 4],
    }
    event = AuditEvent.objects.for_object(rating).get(action="rating.corrected")
    assert event.actor == cast.users.admin and event.changes["reason"] == "Doanh nghiệp chọn nhầm mức"


def test_correct_rating_needs_an_administrator_and_a_reason(cast):
    rating = rate(cast)
    with pytest.raises(PermissionDenied):
        correct_rating(rating, actor=cast.users.staff, reason="x", branch_level=4)
    with pytest.raises(ValidationError) as caught:
        correct_rating(rating, actor=cast.users.admin, reason=" ", branch_level=4)
    assert "reason" in caught.value.message_dict
    assert not RatingCorrection.objects.exists()
    assert Rating.objects.get().branch_level == 5


# --- the daily reminder digest ------------------------------------------------------------------


@pytest.fixture
def reminder_cast(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user, email in [(cast.users.business, "x@example.vn"), (cast.users.rival, "y@example.vn")]:
        user.email = email
        user.language = "en"
        user.save(update_fields=["email", "language"])
    return cast


def test_reminder_digest_lists_pending_declarations_once_per_day(reminder_cast):
    cast = reminder_cast
    for i in range(7):  # dx plus seven more pending for X, one rated, one outside the window
        make_declaration(f"10200000000{i}", cast.business_x, cast.branch_a, cast.team_a1, days_ago=2 + i)
    rate(cast, Declaration.objects.get(number="102000000000"))
    make_declaration("102000000099", cast.business_x, cast.branch_a, cast.team_a1, days_ago=40)

    assert send_rating_reminders() == 2
    assert send_rating_reminders() == 2  # offered again, dropped by the day's dedup key

    digests = {message.to_email: message for message in OutboxMessage.objects.all()}
    assert set(digests) == {"x@example.vn", "y@example.vn"}
    x_digest = digests["x@example.vn"]
    assert x_digest.subject == "7 cleared declarations are waiting for your rating"
    # Oldest first: those close to the end of the window come first.
    assert "102000000006" in x_digest.body and "102000000002" in x_digest.body
    assert "101234567890" not in x_digest.body and "… and 2 more." in x_digest.body
    assert "102000000000" not in x_digest.body and "102000000099" not in x_digest.body
    assert digests["y@example.vn"].subject == "1 cleared declaration is waiting for your rating"


def test_reminder_digest_goes_again_the_next_day(reminder_cast):
    send_rating_reminders()
    send_rating_reminders(now=timezone.now() + datetime.timedelta(days=1))
    assert OutboxMessage.objects.filter(to_email="x@example.vn").count() == 2


def test_reminder_digest_respects_opt_out_and_missing_email(reminder_cast):
    cast = reminder_cast
    cast.users.business.wants_rating_reminders = False
    cast.users.business.save(update_fields=["wants_rating_reminders"])
    cast.users.broker.email = ""  # acts for X and Y, but has no address
    cast.users.broker.save(update_fields=["email"])

    send_rating_reminders()

    assert list(OutboxMessage.objects.values_list("to_email", flat=True)) == ["y@example.vn"]


def test_reminder_digest_query_count_does_not_grow_with_users(reminder_cast, django_assert_max_num_queries):
    from tests.conftest import make_user

    cast = reminder_cast
    for i in range(15):
        user = make_user(f"clerk{i}", "business", email=f"clerk{i}@example.vn")
        BusinessMembership.objects.create(user=user, business=cast.business_x)

    with django_assert_max_num_queries(5):
        assert send_rating_reminders() == 17


def test_reminder_digest_is_sent_through_the_outbox(reminder_cast, django_capture_on_commit_callbacks):
    from customs_portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send_rating_reminders()
    finally:
        app.conf.task_always_eager = eager

    assert sorted(message.to[0] for message in mail.outbox) == ["x@example.vn", "y@example.vn"]
    assert not OutboxMessage.objects.pending().exists()


def test_a_second_rating_of_a_declaration_is_refused_by_the_unique_constraint(cast):
    """The UNIQUE constraint hit directly, without the service's checks or a thread race."""
    fields = {
        "declaration": cast.dx,
        "business": cast.business_x,
        "submitted_by": cast.users.business,
        "submitted_via": "api",
        "branch": cast.branch_a,
        "branch_level": 5,
        "is_dissatisfied": False,
    }
    Rating.objects.create(**fields)
    with pytest.raises(IntegrityError, match="unique|duplicate"), transaction.atomic():
        Rating.objects.create(**{**fields, "branch_level": 4})
    assert Rating.objects.filter(declaration=cast.dx).count() == 1
