"""Who sees which inquiry, on the queryset, the pages and the API alike, with the negative case of each role;
and the lists in a fixed number of queries."""

import pytest
from django.contrib.auth.models import AnonymousUser

from inquiries import services
from inquiries.choices import InquiryTopic
from inquiries.models import Inquiry

from .support import answered, ask

pytestmark = pytest.mark.django_db

SEES = {
    # who: (sees the branch-A inquiry of X, sees the department inquiry of X)
    "business": (True, True),
    "broker": (True, True),
    "rival": (False, False),
    "outsider": (False, False),
    "leader": (True, False),
    "other_leader": (False, False),
    "officer": (False, False),  # not assigned
    "team_leader": (False, False),  # not assigned
    "staff": (True, True),
    "integration": (False, False),
    "admin": (True, True),
}


@pytest.fixture
def two(cast):
    return ask(cast), ask(cast, topic=InquiryTopic.POLICY)


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_only_its_inquiries(cast, two, who, client, api_client):
    branch_inquiry, department_inquiry = two
    user = getattr(cast.users, who)
    expected = {pk for pk, seen in zip([branch_inquiry.pk, department_inquiry.pk], SEES[who], strict=True) if seen}
    assert set(Inquiry.objects.for_user(user).values_list("pk", flat=True)) == expected
    client.force_login(user)
    api_client.force_authenticate(user)
    for inquiry in two:
        page = client.get(f"/inquiries/{inquiry.pk}/")
        api = api_client.get(f"/api/v1/inquiries/{inquiry.pk}/")
        wanted = 200 if inquiry.pk in expected else 404
        assert (page.status_code, api.status_code) == (wanted, wanted), who


def test_anonymous_sees_nothing(cast, two, client, api_client):
    assert not Inquiry.objects.for_user(AnonymousUser()).exists()
    response = client.get(f"/inquiries/{two[0].pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api_client.get("/api/v1/inquiries/").status_code in (401, 403)


def test_the_assigned_officer_sees_it_and_a_colleague_does_not(cast, two):
    from tests.conftest import make_user

    services.assign_inquiry(two[0], cast.users.officer, cast.users.leader)
    colleague = make_user("colleague", "officer", officer=cast.officers.oa2)
    assert list(Inquiry.objects.for_user(cast.users.officer)) == [two[0]]
    assert not Inquiry.objects.for_user(colleague).exists()


def test_an_inactive_user_sees_nothing(cast, two):
    cast.users.staff.is_active = False
    assert not Inquiry.objects.for_user(cast.users.staff).exists()


def test_integration_clients_have_no_inquiry_page(cast, client):
    client.force_login(cast.users.integration)
    assert client.get("/inquiries/").status_code == 404


def test_attachments_are_served_only_within_scope(cast, client, settings, tmp_path):
    from .support import pdf

    settings.MEDIA_ROOT = tmp_path
    inquiry = ask(cast, uploads=[pdf()])
    file = inquiry.attachments.get()
    url = f"/inquiries/{inquiry.pk}/files/{file.pk}/"
    client.force_login(cast.users.rival)
    assert client.get(url).status_code == 404
    client.force_login(cast.users.other_leader)
    assert client.get(url).status_code == 404
    client.force_login(cast.users.leader)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


# --- the lists ------------------------------------------------------------------------------------------


def _many(cast, count=6):
    for number in range(count):
        ask(cast, subject=f"Câu hỏi {number}")


def test_business_list_shows_its_own_in_a_fixed_number_of_queries(cast, client, django_assert_max_num_queries):
    _many(cast)
    ask(cast, user=cast.users.rival, declaration=cast.dy.number, subject="Câu hỏi của Y")
    client.force_login(cast.users.business)
    with django_assert_max_num_queries(8):
        response = client.get("/inquiries/")
    assert response.status_code == 200
    listed = response.context["inquiries"]
    assert len(listed) == 6 and all(inquiry.business_id == cast.business_x.pk for inquiry in listed)
    assert "Câu hỏi của Y" not in response.content.decode()


def test_leader_inbox_lists_open_first_in_a_fixed_number_of_queries(cast, client, django_assert_max_num_queries):
    done = answered(cast, subject="Đã trả lời")
    _many(cast)
    client.force_login(cast.users.leader)
    with django_assert_max_num_queries(9):
        response = client.get("/inquiries/")
    listed = list(response.context["inquiries"])
    assert len(listed) == 7 and listed[-1] == done
    assert response.context["counts"]["new"] == 6


def test_the_api_list_is_scoped_and_flat_in_queries(cast, api_client, django_assert_max_num_queries):
    _many(cast)
    api_client.force_authenticate(cast.users.leader)
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/inquiries/")
    assert response.status_code == 200 and response.json()["count"] == 6
    api_client.force_authenticate(cast.users.other_leader)
    assert api_client.get("/api/v1/inquiries/").json()["count"] == 0


def test_the_overdue_filter_parses_or_answers_400(cast, client):
    import datetime

    from core import clock

    with clock.at(clock.now() - datetime.timedelta(days=30)):
        late = ask(cast)
    ask(cast)
    client.force_login(cast.users.leader)
    assert list(client.get("/inquiries/?overdue=true").context["inquiries"]) == [late]
    assert late not in client.get("/inquiries/?overdue=false").context["inquiries"]
    assert client.get("/inquiries/?overdue=maybe").status_code == 400
    assert client.get("/inquiries/?topic=weather").status_code == 400
