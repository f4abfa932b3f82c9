"""POST /api/v1/inquiries/ from a business's declaration software: 201, or 400 naming the field."""

import pytest

from inquiries.choices import InquiryChannel
from inquiries.models import Inquiry

pytestmark = pytest.mark.django_db

BODY = {"subject": "Mã HS của linh kiện", "question": "Linh kiện điện tử áp mã HS nào?", "topic": "classification"}


def test_a_business_asks_through_its_token_and_gets_201(cast, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.business))
    response = api_client.post("/api/v1/inquiries/", {**BODY, "declaration": cast.dx.number}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    inquiry = Inquiry.objects.get(pk=data["id"])
    assert inquiry.channel == InquiryChannel.API and inquiry.branch == cast.branch_a
    assert data["branch"] == "MC" and data["status"] == "new" and data["exchanges"][0]["question"] == BODY["question"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"question": None}, "question"),
        ({"topic": "weather"}, "topic"),
        ({"declaration": "12ab"}, "declaration"),
        ({"declaration": "101234567891"}, "declaration"),  # the rival's: not found
        ({"declaration": "109999999999"}, "declaration"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(cast, api_client, change, field):
    api_client.force_authenticate(cast.users.business)
    body = {key: value for key, value in {**BODY, **change}.items() if value is not None}
    response = api_client.post("/api/v1/inquiries/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Inquiry.objects.exists()


def test_a_missing_body_is_a_400_not_a_500(cast, api_client):
    api_client.force_authenticate(cast.users.business)
    response = api_client.post("/api/v1/inquiries/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["officer", "leader", "staff", "integration"])
def test_only_business_users_ask_through_the_api(cast, api_client, who):
    api_client.force_authenticate(getattr(cast.users, who))
    assert api_client.post("/api/v1/inquiries/", BODY, format="json").status_code == 403


def test_anonymous_cannot_ask(api_client, cast):
    assert api_client.post("/api/v1/inquiries/", BODY, format="json").status_code in (401, 403)


def test_a_broker_names_the_business_by_tax_code(cast, api_client):
    api_client.force_authenticate(cast.users.broker)
    assert "business" in api_client.post("/api/v1/inquiries/", BODY, format="json").json()
    response = api_client.post("/api/v1/inquiries/", {**BODY, "business": cast.business_y.tax_code}, format="json")
    assert response.status_code == 201
    assert Inquiry.objects.get().business == cast.business_y


def test_files_come_as_multipart_attachments(cast, api_client, settings, tmp_path):
    from .support import pdf

    settings.MEDIA_ROOT = tmp_path
    api_client.force_authenticate(cast.users.business)
    response = api_client.post("/api/v1/inquiries/", {**BODY, "attachments": [pdf()]}, format="multipart")
    assert response.status_code == 201, response.content
    assert Inquiry.objects.get().attachments.get().original_name == "van-ban.pdf"
    fake = pdf("anh.png")  # PDF bytes named .png: refused by content, naming the field
    response = api_client.post("/api/v1/inquiries/", {**BODY, "attachments": [fake]}, format="multipart")
    assert response.status_code == 400 and "attachments" in response.json()
    assert Inquiry.objects.count() == 1
