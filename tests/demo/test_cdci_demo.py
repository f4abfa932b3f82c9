"""The demo publishes last year's CDCI once, so the public ranking is there out of the box."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from cdci.models import CdciPublication, CdciRun


@pytest.mark.django_db
def test_the_demo_publishes_last_years_ranking_once():
    call_command("seed_demo", "--scale", "0.05", stdout=StringIO())
    publication = CdciPublication.objects.get()
    assert publication.version == 1 and publication.verify()
    assert len(publication.snapshot["units"]) >= 5  # the demo's branches, scored

    call_command("seed_demo", "--scale", "0.05", stdout=StringIO())  # a rerun publishes nothing new

    assert CdciPublication.objects.count() == 1 and CdciRun.objects.count() == 1
    page = Client().get(f"/cdci/{publication.campaign.year}/")
    assert page.status_code == 200 and publication.snapshot["units"][0]["name"].encode() in page.content


@pytest.mark.django_db
def test_the_demo_publication_shows_the_new_columns():
    call_command("seed_demo", "--scale", "0.05", stdout=StringIO())
    publication = CdciPublication.objects.get()
    snapshot = publication.snapshot
    assert snapshot["comparisons"] and all(unit["method_rank_median"] is not None for unit in snapshot["units"])
    assert snapshot["settings"]["min_respondents"] == 10 and snapshot["settings"]["normalisation"] == "fixed"
    year = publication.campaign.year
    page = Client().get(f"/cdci/{year}/").content.decode()
    assert "Rank range (sampling)" in page and "Neighbours in the ranking" in page
    assert "is ahead of" in page or "cannot be told apart" in page
    unit = Client().get(f"/api/v1/cdci/{year}/ranking/").json()["units"][0]
    assert unit["method_rank_median"] is not None and unit["effective_n"] is not None
