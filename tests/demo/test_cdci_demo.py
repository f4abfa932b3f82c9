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
