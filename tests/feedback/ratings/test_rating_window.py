"""feedback.ratings.window: one rule for the rating window, which the service, the lists and the page share."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import clock
from feedback.models import Declaration
from feedback.ratings.services import submit_rating
from feedback.ratings.window import open_for_rating, rating_window, window_length


def test_window_is_open_up_to_its_last_instant_for_the_service_and_the_lists_alike(cast):
    declaration = cast.dx
    closes_at = declaration.cleared_at + window_length()
    to_rate = Declaration.objects.filter(pk=declaration.pk)

    with clock.at(closes_at):
        assert rating_window(declaration).is_open
        assert list(open_for_rating(to_rate)) == [declaration]

    with clock.at(closes_at + datetime.timedelta(microseconds=1)):
        window = rating_window(declaration)
        assert not window.is_open and window.closes_at == closes_at
        assert not open_for_rating(to_rate).exists()
        with pytest.raises(ValidationError) as caught:
            submit_rating(declaration, cast.users.business, channel="web", branch_level=5)

    # The service refuses with the very message the page shows.
    assert caught.value.message_dict["declaration"] == [window.refusal()]


def test_window_of_a_declaration_not_cleared_is_closed_and_says_so(cast):
    cast.dx.cleared_at = None

    window = rating_window(cast.dx)

    assert not window.is_open and window.closes_at is None
    with translation.override("en"):
        assert "has not been cleared yet" in window.refusal()


@pytest.mark.parametrize("hours, is_open", [(-1, True), (1, False)])
def test_window_is_thirty_days_from_clearance_not_registration(cast, settings, hours, is_open):
    """30 days plus or minus an hour, counted from the clearance: a window one day longer, or counted from
    registration (two hours earlier in the cast), fails one of the two cases."""
    settings.RATING_WINDOW_DAYS = 30
    declaration = cast.dx
    moment = declaration.cleared_at + datetime.timedelta(days=30, hours=hours)
    to_rate = Declaration.objects.filter(pk=declaration.pk)

    with clock.at(moment):
        assert rating_window(declaration).is_open is is_open
        assert open_for_rating(to_rate).exists() is is_open


def test_declaration_cleared_in_the_future_cannot_be_rated_until_it_is_cleared(cast):
    declaration = cast.dx
    declaration.cleared_at = clock.now() + datetime.timedelta(hours=6)
    declaration.save(update_fields=["cleared_at"])
    to_rate = Declaration.objects.filter(pk=declaration.pk)

    window = rating_window(declaration)
    assert not window.is_open
    assert "has not been cleared yet" in window.refusal()
    assert not open_for_rating(to_rate).exists()
    with pytest.raises(ValidationError) as caught:
        submit_rating(declaration, cast.users.business, channel="web", branch_level=5)
    assert caught.value.message_dict["declaration"] == [window.refusal()]

    with clock.at(declaration.cleared_at + datetime.timedelta(minutes=1)):
        assert rating_window(declaration).is_open
        assert open_for_rating(to_rate).exists()
