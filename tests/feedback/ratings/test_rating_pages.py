"""The business's web pages: "My declarations", the rating form -> confirmation -> send, the read-only rating."""

import lxml.html
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from feedback.models import Declaration, Rating
from feedback.ratings.services import submit_rating
from tests.conftest import make_declaration

DX, DY, DX_PENDING = "101234567890", "101234567891", "301234567892"
LIST_URL = "/declarations/"


def rate_url(number: str) -> str:
    return f"/declarations/{number}/rate/"


def html(response):
    return lxml.html.fromstring(response.content.decode())


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def row(response, key: str):
    """The fieldset of one row of the rating form ("officer_0", "team", "branch")."""
    found = html(response).xpath(f"//fieldset[@id='row-{key}']")
    assert found, f"no row {key}"
    return found[0]


@pytest.fixture
def business(cast, client):
    client.force_login(cast.users.business)
    return client


# dx: officer_0 is OA1 (reception), officer_1 is OA2 (release), then the team A1 and the branch A.
CHOICES = {
    "officer_0_level": "5",
    "officer_1_level": "2",
    "officer_1_reasons": ["delay", "attitude"],
    "team_level": "4",
    "branch_level": "5",
    "comment": "Cán bộ xử lý chậm ở khâu giải phóng hàng.",
}


def test_rating_page_shows_the_declaration_and_one_row_per_officer_team_and_branch(cast, business):
    response = business.get(rate_url(DX))

    assert response.status_code == 200
    page = html(response)
    facts = text_of(page.xpath("//dl[@class='facts']")[0])
    for expected in ("A11", "Chi cục Hải quan Móng Cái", "Đội Thủ tục"):
        assert expected in facts
    legends = [text_of(fieldset.xpath("legend")[0]) for fieldset in page.xpath("//fieldset[@data-rating-row]")]
    assert len(legends) == 4
    assert "Nguyễn Văn An" in legends[0] and "OA1" in legends[0] and "Reception" in legends[0]
    assert "Trần Thị Bình" in legends[1] and "OA2" in legends[1] and "Release" in legends[1]
    assert "Đội Thủ tục" in legends[2] and "Móng Cái" in legends[3]
    # Five labelled radios per row, 5 (very satisfied) first; the reasons are in the page (shown without script).
    branch = row(response, "branch")
    radios = branch.xpath(".//input[@type='radio']")
    assert [radio.get("value") for radio in radios] == ["5", "4", "3", "2", "1"]
    labels = [text_of(branch.xpath(f".//label[@for='{radio.get('id')}']")[0]) for radio in radios]
    assert labels[0] == "5 Very satisfied" and labels[4] == "1 Very dissatisfied"
    assert len(branch.xpath(".//input[@type='checkbox'][@name='branch_reasons']")) == 6
    assert page.xpath("//textarea[@name='comment']")[0].get("maxlength") == "2000"


def test_form_confirm_send_stores_exactly_one_web_rating(cast, business):
    confirm = business.post(rate_url(DX), {**CHOICES, "action": "review"})

    assert confirm.status_code == 200
    assert not Rating.objects.exists()  # nothing is stored before "Send"
    summary = text_of(html(confirm).xpath("//ul[@class='rated-rows']")[0])
    assert "2 · Dissatisfied" in summary and "Delay, Attitude" in summary and "4 · Satisfied" in summary
    hidden = [(i.get("name"), i.get("value")) for i in html(confirm).xpath("//form//input[@type='hidden']")]
    assert ("officer_1_reasons", "attitude") in hidden and ("comment", CHOICES["comment"]) in hidden

    sent = business.post(
        rate_url(DX),
        {name: value for name, value in hidden if name != "csrfmiddlewaretoken"}
        | {
            "officer_1_reasons": ["delay", "attitude"],
            "action": "send",
        },
    )

    assert sent.status_code == 302 and sent.url == f"/declarations/{DX}/"
    rating = Rating.objects.get()
    assert rating.declaration == cast.dx and rating.submitted_via == "web"
    assert rating.submitted_by == cast.users.business
    assert (rating.branch_level, rating.team_level, rating.is_dissatisfied) == (5, 4, True)
    officers = {r.officer.code: (r.level, r.reasons) for r in rating.officer_ratings.select_related("officer")}
    assert officers == {"OA1": (5, []), "OA2": (2, ["delay", "attitude"])}
    assert rating.comment == CHOICES["comment"]

    detail = business.get(sent.url)
    page = html(detail)
    assert "Your rating has been sent" in text_of(page.xpath("//ul[@class='messages']")[0])
    rated = text_of(page.xpath("//section[@class='rating-summary']")[0])
    assert "2 · Dissatisfied" in rated and "5 · Very satisfied" in rated
    assert "branch leader will verify your rating and answer you within 5 working days" in rated
    assert not page.xpath("//input[@type='radio']")  # read-only: no form any more


def test_satisfied_rating_says_thank_you(cast, business):
    business.post(rate_url(DX), {"branch_level": "5", "team_level": "5", "action": "send"})

    rated = text_of(html(business.get(f"/declarations/{DX}/")).xpath("//section[@class='rating-summary']")[0])
    assert "Thank you" in rated and "working days" not in rated
    assert Rating.objects.get().officer_ratings.count() == 0  # officers left blank are not rated


def test_edit_returns_to_the_form_with_the_choices_kept(cast, business):
    response = business.post(rate_url(DX), {**CHOICES, "action": "edit"})

    assert response.status_code == 200
    page = html(response)
    checked = {(i.get("name"), i.get("value")) for i in page.xpath("//input[@checked]")}
    assert checked == {
        ("officer_0_level", "5"),
        ("officer_1_level", "2"),
        ("officer_1_reasons", "delay"),
        ("officer_1_reasons", "attitude"),
        ("team_level", "4"),
        ("branch_level", "5"),
    }
    assert page.xpath("//textarea[@name='comment']")[0].text_content().strip() == CHOICES["comment"]
    assert not Rating.objects.exists()


def test_service_errors_are_shown_next_to_the_row_they_name(cast, business):
    # Reasons with level 4 (possible when the page runs without script): submit_rating refuses them.
    response = business.post(
        rate_url(DX), {"officer_1_level": "4", "officer_1_reasons": ["delay"], "branch_level": "5", "action": "send"}
    )

    assert response.status_code == 400
    assert not Rating.objects.exists()
    officer = row(response, "officer_1")
    assert "has-error" in officer.get("class")
    assert "Reasons are given only with level 1 or 2." in text_of(officer.xpath(".//ul[@class='field-errors']")[0])
    assert not row(response, "branch").xpath(".//ul[@class='field-errors']")
    assert html(response).xpath("//div[@id='error-summary'][@role='alert']//a[@href='#row-officer_1']")
    # What was chosen is still there to correct.
    assert row(response, "officer_1").xpath(".//input[@value='4'][@checked]")


def test_reasons_without_a_level_are_reported_on_the_officer_row(cast, business):
    response = business.post(rate_url(DX), {"officer_0_reasons": ["delay"], "branch_level": "5", "action": "send"})

    assert response.status_code == 400
    assert "Choose a level from 1 to 5." in text_of(row(response, "officer_0"))
    assert not Rating.objects.exists()


def test_review_without_a_branch_level_stays_on_the_form_with_the_error_on_the_branch(cast, business):
    response = business.post(rate_url(DX), {"team_level": "5", "action": "review"})

    assert response.status_code == 400
    assert "Choose a level for Chi cục Hải quan Móng Cái." in text_of(row(response, "branch"))
    assert row(response, "team").xpath(".//input[@value='5'][@checked]")


def test_another_business_declaration_is_404_and_nothing_is_stored(cast, business):
    assert business.get(rate_url(DY)).status_code == 404
    assert business.post(rate_url(DY), {"branch_level": "5", "action": "send"}).status_code == 404
    assert business.get(rate_url("109999999999")).status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.parametrize("username", ["officer", "leader", "staff", "rival", "outsider"])
def test_other_users_get_404_on_the_rating_page_of_dx(cast, client, username):
    client.force_login(getattr(cast.users, username))

    assert client.get(rate_url(DX)).status_code == 404
    assert client.post(rate_url(DX), {"branch_level": "5", "action": "send"}).status_code == 404
    assert not Rating.objects.exists()


def test_anonymous_visitor_is_sent_to_the_login(cast, client):
    response = client.get(rate_url(DX))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_broker_rates_for_either_business(cast, client):
    client.force_login(cast.users.broker)

    response = client.post(rate_url(DY), {"branch_level": "3", "officer_0_level": "5", "action": "send"})

    assert response.status_code == 302
    assert Rating.objects.get().declaration == cast.dy


def test_already_rated_shows_the_rating_read_only(cast, business):
    submit_rating(cast.dx, cast.users.business, channel="api", branch_level=4)

    again = business.get(rate_url(DX), follow=True)
    assert again.redirect_chain == [(f"/declarations/{DX}/", 302)]
    assert "already been rated" in again.content.decode()

    late = business.post(rate_url(DX), {"branch_level": "1", "branch_reasons": ["delay"], "action": "send"})

    assert late.status_code == 409
    assert "already been rated" in late.content.decode()
    assert "4 · Satisfied" in text_of(html(late).xpath("//section[@class='rating-summary']")[0])
    assert Rating.objects.get().branch_level == 4


def test_closed_window_shows_a_message_and_no_form(cast, business, settings):
    old = make_declaration(
        "101234567899", cast.business_x, cast.branch_a, cast.team_a1, days_ago=settings.RATING_WINDOW_DAYS + 5
    )

    response = business.get(rate_url(old.number))

    assert response.status_code == 200
    page = html(response)
    assert "can no longer be rated" in text_of(page.xpath("//p[contains(@class, 'closed-notice')]")[0])
    assert not page.xpath("//form[contains(@class, 'rating-form')]")
    assert business.post(rate_url(old.number), {"branch_level": "5", "action": "send"}).status_code == 400
    assert not Rating.objects.exists()
    assert "can no longer be rated" in business.get(f"/declarations/{old.number}/").content.decode()


def test_declaration_not_cleared_yet_cannot_be_rated(cast, business):
    response = business.get(rate_url(DX_PENDING))

    assert "has not been cleared yet" in response.content.decode()
    assert not html(response).xpath("//form[contains(@class, 'rating-form')]")


def test_list_shows_pending_count_rate_buttons_and_a_summary_of_rated_ones(cast, business, settings):
    make_declaration(
        "101234567899", cast.business_x, cast.branch_a, cast.team_a1, days_ago=settings.RATING_WINDOW_DAYS + 5
    )
    rated = make_declaration("101234567898", cast.business_x, cast.branch_a, cast.team_a1, days_ago=2)
    submit_rating(rated, cast.users.business, channel="web", branch_level=4)

    page = html(business.get(LIST_URL))

    assert page.xpath("//a[@class='to-rate-tab']//span[@class='badge']")[0].text_content() == "1"
    notice = page.xpath("//p[contains(@class, 'pending-notice')]")[0]
    assert "1 cleared declaration is waiting for your rating." in text_of(notice)
    assert notice.xpath(".//a")[0].get("href") == "?rated=false"
    rows = {text_of(tr.xpath("td[1]")[0]): tr for tr in page.xpath("//table[@class='data']/tbody/tr")}
    assert set(rows) == {DX, DX_PENDING, "101234567899", "101234567898"}
    assert rows[DX].xpath(".//a[contains(@class, 'rate-button')]")[0].get("href") == rate_url(DX)
    assert "4 · Satisfied" in text_of(rows["101234567898"])
    for number in ("101234567899", "101234567898", DX_PENDING):
        assert not rows[number].xpath(".//a[contains(@class, 'rate-button')]")
    assert "Window closed" in text_of(rows["101234567899"])


def test_to_rate_filter_lists_only_what_can_still_be_rated(cast, business, settings):
    make_declaration(
        "101234567899", cast.business_x, cast.branch_a, cast.team_a1, days_ago=settings.RATING_WINDOW_DAYS + 5
    )
    rated = make_declaration("101234567898", cast.business_x, cast.branch_a, cast.team_a1, days_ago=2)
    submit_rating(rated, cast.users.business, channel="web", branch_level=4)

    page = html(business.get(LIST_URL, {"rated": "false"}))

    numbers = [text_of(td) for td in page.xpath("//table[@class='data']/tbody/tr/td[1]")]
    assert numbers == [DX]
    assert page.xpath("//a[@class='to-rate-tab'][@aria-current='page']")

    business.post(rate_url(DX), {"branch_level": "5", "action": "send"})
    after = html(business.get(LIST_URL, {"rated": "false"}))
    assert "Nothing to rate" in text_of(after.xpath("//table[@class='data']/tbody")[0])
    assert after.xpath("//a[@class='to-rate-tab']//span[@class='badge']")[0].text_content() == "0"


def test_to_rate_count_stays_the_businesss_whole_count_under_another_filter(cast, business):
    # Two declarations to rate (dx, and one of branch B); "to rate" narrowed to branch B lists one of them,
    # while the badge and the notice still count both (the list's own count is used only without filters).
    make_declaration("101234567897", cast.business_x, cast.branch_b, cast.team_b1, days_ago=1)

    whole = html(business.get(LIST_URL, {"rated": "false"}))
    narrowed = html(business.get(LIST_URL, {"rated": "false", "branch": cast.branch_b.code}))

    for page in (whole, narrowed):
        assert page.xpath("//a[@class='to-rate-tab']//span[@class='badge']")[0].text_content() == "2"
    assert [text_of(td) for td in narrowed.xpath("//table[@class='data']/tbody/tr/td[1]")] == ["101234567897"]


def test_counts_to_rate_over_the_cap_read_more_than(cast, business, monkeypatch):
    # given three declarations to rate (dx and two more) and a cap of two
    for number in ("101234567897", "101234567896"):
        make_declaration(number, cast.business_x, cast.branch_b, cast.team_b1, days_ago=1)
    monkeypatch.setattr("feedback.ratings.window.PENDING_COUNT_CAP", 2)

    # then both tabs show the cap and say there are more; the "to rate" list still lists all three
    for query in ({}, {"rated": "false"}):
        page = html(business.get(LIST_URL, query))
        assert page.xpath("//a[@class='to-rate-tab']//span[@class='badge']")[0].text_content() == "2+"
    notice = html(business.get(LIST_URL)).xpath("//p[contains(@class, 'pending-notice')]")[0]
    assert "More than 2 cleared declarations are waiting for your rating." in text_of(notice)
    assert len(page.xpath("//table[@class='data']/tbody/tr")) == 3


def test_home_of_a_business_user_leads_to_the_list_with_the_pending_count(cast, business):
    response = business.get("/")

    main = html(response).xpath("//main")[0]
    assert main.xpath(f"//a[@href='{LIST_URL}?rated=false']")  # the home page leads to what to rate
    assert "1 cleared declaration is waiting for your rating." in text_of(main)


def test_customs_staff_see_no_rating_column_nor_rating(cast, client):
    submit_rating(cast.dx, cast.users.business, channel="web", branch_level=2, branch_reasons=["delay"])
    client.force_login(cast.users.officer)

    listing = html(client.get(LIST_URL))
    detail = html(client.get(f"/declarations/{DX}/"))

    assert not listing.xpath("//nav[@class='tabs']") and not listing.xpath("//td[contains(@class, 'rating-cell')]")
    assert not detail.xpath("//section[@class='rating-summary']")


def _many_declarations(cast, count: int, *, first: int = 0) -> None:
    """`count` cleared declarations of X, with two officers each, a third of them rated (officers included)."""
    for index in range(first, first + count):
        declaration = make_declaration(
            f"10{index:010d}",
            cast.business_x,
            cast.branch_a,
            cast.team_a1 if index % 2 else None,
            [(cast.officers.oa1, "reception"), (cast.officers.oa2, "release")],
            channel=("green", "yellow", "red")[index % 3],
            days_ago=1 + index % 20,
        )
        if index % 3 == 0:
            submit_rating(
                declaration,
                cast.users.business,
                channel="web",
                branch_level=4,
                officers=[{"code": "OA1", "level": 5}, {"code": "OA2", "level": 2, "reasons": ["delay"]}],
            )


def _queries_of(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"rated": "false"}, {"rated": "true"}])
def test_list_query_count_is_the_same_for_5_and_30_declarations(cast, business, params, django_assert_max_num_queries):
    _many_declarations(cast, 5)
    few = _queries_of(business, LIST_URL, params)
    _many_declarations(cast, 25, first=5)
    assert Declaration.objects.filter(business=cast.business_x).count() == 32  # with dx and dx_pending

    many = _queries_of(business, LIST_URL, params)

    assert many == few
    with django_assert_max_num_queries(few):
        business.get(LIST_URL, params)


def test_rating_pages_need_few_queries(cast, business, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert business.get(rate_url(DX)).status_code == 200
    with django_assert_max_num_queries(8):
        assert business.post(rate_url(DX), {**CHOICES, "action": "review"}).status_code == 200
    # "send" costs what submit_rating (and the case it opens) costs; the page adds only its reads above.
    submit_rating(cast.dx, cast.users.business, channel="web", branch_level=5, officers=[{"code": "OA1", "level": 4}])
    with django_assert_max_num_queries(6):
        assert business.get(f"/declarations/{DX}/").status_code == 200


@pytest.mark.parametrize("username", ["officer", "broker", "leader"])
def test_list_reads_ids_first_then_only_the_page(cast, client, username):
    """The sort and the count read declarations alone; only the page's rows are joined to what they show.
    The same rows, in the same order, as the whole list sorted at once."""
    _many_declarations(cast, 30)
    user = getattr(cast.users, username)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    shown = [declaration.number for declaration in response.context["declarations"]]
    expected = list(
        Declaration.objects.for_user(user).order_by("-cleared_at", "-registered_at").values_list("number", flat=True)
    )
    if username == "broker":
        expected = [
            d.number
            for d in Declaration.objects.for_user(user).order_by(
                F("cleared_at").desc(nulls_last=True), "-registered_at", "-pk"
            )
        ]
    assert shown == expected[:25] and len(shown) == 25
    listing = [q["sql"] for q in captured.captured_queries if 'FROM "feedback_declaration"' in q["sql"]]
    sorted_once = [sql for sql in listing if "ORDER BY" in sql and "LIMIT 25" in sql]
    assert len(sorted_once) == 1 and '"feedback_rating"' not in sorted_once[0]
    assert any('"feedback_rating"' in sql and "LIMIT" not in sql and " IN (" in sql for sql in listing)


def test_officer_list_counts_each_declaration_once_and_filters_narrow_the_count(cast, client):
    # oa1 handled two stages of one red declaration (two link rows): counted once; the channel filter
    # narrows the count to it (the unfiltered count is read from the officer's link rows).
    two_stages = [(cast.officers.oa1, "reception"), (cast.officers.oa1, "release")]
    make_declaration("101234567896", cast.business_y, cast.branch_a, cast.team_a1, two_stages, channel="red")
    client.force_login(cast.users.officer)
    handled = Declaration.objects.filter(officer_links__officer=cast.officers.oa1).distinct().count()

    everything = client.get(LIST_URL).context["paginator"]
    red = client.get(LIST_URL, {"channel": "red"}).context["paginator"]

    assert everything.count == handled >= 2
    assert red.count == 1


def test_officer_sees_the_declarations_they_handled_only(cast, client):
    client.force_login(cast.users.officer)
    shown = {d.number for d in client.get(LIST_URL).context["declarations"]}
    handled = set(Declaration.objects.filter(officer_links__officer=cast.officers.oa1).values_list("number", flat=True))
    assert shown == handled and shown
