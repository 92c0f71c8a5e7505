"""记录审查 on the console: the queue with its badge in the menu, the review page where a
superior passes a record or sends it back; the branch, another county and an outsider
cannot decide."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.supervision import reviews
from dangjian.supervision.models import RecordReview, ReviewStatus
from tests.scoring.conftest import NOW, clock, make_activity  # noqa: F401

pytestmark = pytest.mark.django_db
DECEMBER = date(2026, 12, 1)


@pytest.fixture
def record(world, clock):  # noqa: F811
    return make_activity(world.a.branch, DECEMBER)


def test_the_queue_lists_the_records_to_review_and_the_menu_counts_them(world, record, page):
    r = page(world.a.admin).get("/console/supervision/records/")
    assert r.status_code == 200
    html = r.content.decode()
    assert record.title in html and 'data-testid="nav-record-review"' in html
    assert r.context["nav_records"]() == 1
    assert "过简" in html  # no summary at all


def test_a_county_admin_sends_back_then_passes_after_resubmission(world, record, page):
    client = page(world.a.admin)
    url = f"/console/supervision/records/{record.pk}/"
    deadline = (NOW.date() + timedelta(days=5)).isoformat()
    r = client.post(url, {"action": "send_back", "reason": "缺少现场照片", "deadline": deadline})
    assert r.status_code == 302
    review = RecordReview.objects.get(activity=record)
    assert (review.status, review.reason) == (ReviewStatus.SENT_BACK, "缺少现场照片")
    assert page(world.a.admin).get("/console/supervision/records/").context["nav_records"]() == 0

    shown = client.get(url).content.decode()
    assert "缺少现场照片" in shown and 'data-testid="send-back-record"' not in shown

    review.status, review.resubmitted_at = ReviewStatus.RESUBMITTED, NOW
    review.save(update_fields=["status", "resubmitted_at"])
    assert client.post(url, {"action": "pass"}).status_code == 302
    assert RecordReview.objects.get(pk=review.pk).status == ReviewStatus.PASSED


def test_a_send_back_without_reason_or_with_a_past_deadline_is_shown_on_the_form(
    world, record, page
):
    url = f"/console/supervision/records/{record.pk}/"
    r = page(world.a.admin).post(url, {"action": "send_back", "reason": "", "deadline": ""})
    assert r.status_code == 200 and r.context["form"].errors
    r = page(world.a.admin).post(
        url, {"action": "send_back", "reason": "理由", "deadline": "2026-12-01"}
    )
    assert "补充期限不能早于今天" in r.content.decode()
    assert not RecordReview.objects.exists()


@pytest.mark.parametrize(("who", "get", "post"), [("branch", 200, 403), ("b", 404, 404)])
def test_the_branch_reads_but_does_not_decide_and_another_county_sees_nothing(
    world, record, page, who, get, post
):
    user = world.a.branch_admin if who == "branch" else world.b.admin
    url = f"/console/supervision/records/{record.pk}/"
    assert page(user).get(url).status_code == get
    assert page(user).post(url, {"action": "pass"}).status_code == post
    assert not RecordReview.objects.exists()
    assert record.title not in page(user).get("/console/supervision/records/").content.decode()


def test_an_outsider_is_kept_out(world, record, page):
    for url in ("/console/supervision/records/", f"/console/supervision/records/{record.pk}/"):
        r = page(world.outsider).get(url)
        assert r.status_code in (302, 403, 404)
        assert record.title not in r.content.decode()


def test_the_queue_reads_a_page_in_the_same_queries_for_two_records_or_twelve(
    world,
    page,
    api,
    clock,  # noqa: F811
):
    """Neither the console page nor the API reads anything per record: photos, summary,
    review and missing items come for the whole page at once."""

    def queries() -> tuple[int, int]:
        client, json = page(world.a.admin), api(world.a.admin)
        with CaptureQueriesContext(connection) as on_page:
            assert client.get("/console/supervision/records/?period=2024").status_code == 200
        with CaptureQueriesContext(connection) as on_api:
            assert json.get("/record-reviews/queue", {"period": "2024"}).json()["count"] > 0
        return len(on_page), len(on_api)

    months = iter(date(2024, i + 1, 1) for i in range(12))

    def add(n: int) -> None:
        for i in range(n):
            activity = make_activity(world.a.branch, next(months))
            if i % 2:  # resubmitted: in the queue with its review
                review = reviews.send_back_record(
                    actor=world.a.admin, activity=activity, reason="缺照片", deadline=NOW.date()
                )
                reviews.resubmit_record(actor=world.a.branch_admin, review=review)

    add(2)
    few = queries()
    add(10)  # the rest of 2024
    assert queries() == few


def test_the_queue_opens_on_the_latest_month_and_shows_any_other(world, record, page):
    older = make_activity(world.a.branch, date(2026, 10, 1))
    client = page(world.a.admin)
    r = client.get("/console/supervision/records/")
    assert [a.pk for a in r.context["rows"]] == [record.pk]
    assert r.context["period"].label == "2026-12"
    r = client.get("/console/supervision/records/?period=2026-10")
    assert [a.pk for a in r.context["rows"]] == [older.pk]
    r = client.get("/console/supervision/records/?period=2026-Q4")
    assert {a.pk for a in r.context["rows"]} == {record.pk, older.pk}


def test_the_home_to_do_and_the_menu_badge_lead_to_every_waiting_month_they_count(
    world, record, page
):
    """The to-do counts every month's waiting records; the page it links to lists them all,
    while the months one by one still split them."""
    older = make_activity(world.a.branch, date(2026, 10, 1))
    client = page(world.a.admin)
    home = client.get(reverse("console:home"))
    todo = {row.key: row for row in home.context["rows"]}["records"]
    assert todo.count == home.context["nav_records"]() == 2

    listed = client.get(todo.url)
    assert listed.status_code == 200
    assert {a.pk for a in listed.context["rows"]} == {record.pk, older.pk}
    assert listed.context["page"].paginator.count == todo.count
    html = listed.content.decode()
    assert f'href="{todo.url}"' in html  # the menu's badge links to the same list
    assert 'data-testid="record-by-month"' in html and "全部月份" in html

    by_month = client.get("/console/supervision/records/?period=2026-10")
    assert [a.pk for a in by_month.context["rows"]] == [older.pk]
    assert 'data-testid="record-all-months"' in by_month.content.decode()
    passed = client.get("/console/supervision/records/?state=passed&period=all")
    assert passed.status_code == 200 and passed.context["rows"] == []

    assert client.get(todo.url).context["period"] is None
    outsider = page(world.outsider).get(todo.url)
    assert outsider.status_code in (302, 403, 404)
    assert record.title not in outsider.content.decode()
