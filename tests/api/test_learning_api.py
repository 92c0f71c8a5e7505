"""Learning over the API: the article workflow with its stable codes, the scope of what is
listed and read (missing and out of scope the same 404), and the reading on the server's
clock."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from dangjian.learning import services
from dangjian.learning.models import Article, ArticleStatus, Column, Reading
from tests.conftest import token_for
from tests.interaction.conftest import image_bytes
from tests.learning.articles import LONG_BODY, NOW, draft, published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _new(world, api, **overrides) -> dict:
    body = {
        "org_id": world.a.org.pk,
        "column_id": Column.objects.get(code="policy").pk,
        "title": "关于做好年终党员教育工作的通知",
        "body": LONG_BODY + "<script>alert(1)</script>",
        "source": "汉台区委组织部",
        **overrides,
    }
    return api(world.a.admin).post("/articles", body)


def test_the_columns_are_listed_in_order(world, api):
    answer = api(world.a.member.user).get("/columns")
    assert [c["name"] for c in answer.json()] == [
        "党内要闻",
        "政策资讯",
        "党务知识",
        "县区动态",
        "典型经验",
    ]


def test_an_article_goes_from_draft_to_published_and_back(world, api, clock):
    answer = _new(world, api)
    assert answer.status_code == 201, answer.content
    article = answer.json()
    assert article["status"] == "draft" and "script" not in article["body"]
    assert article["org"] == {"id": world.a.org.pk, "name": world.a.org.name}
    path = f"/articles/{article['id']}"

    assert api(world.a.admin).post(f"{path}/submit").json()["status"] == "submitted"
    own = api(world.a.admin).post(f"{path}/publish")
    assert own.status_code == 403 and own.json()["code"] == "author_cannot_publish"
    answer = api(world.city_admin).post(f"{path}/publish")
    assert answer.status_code == 200 and answer.json()["reviewer"] == world.city_admin.name
    again = api(world.city_admin).post(f"{path}/publish")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    edit = api(world.a.admin).patch(path, {"title": "改"}, content_type="application/json")
    assert edit.status_code == 409 and edit.json()["code"] == "not_editable"
    assert api(world.a.admin).post(f"{path}/withdraw").json()["status"] == "withdrawn"
    edit = api(world.a.admin).patch(path, {"title": "更正"}, content_type="application/json")
    assert edit.status_code == 200 and edit.json()["status"] == "draft"


def test_a_video_link_that_is_not_http_is_refused(world, api):
    answer = _new(world, api, video_url="javascript:alert(1)")
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_video_url"


def test_an_article_for_another_county_is_not_found_and_a_member_may_not_draft(world, api):
    answer = _new(world, api, org_id=world.b.org.pk)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    answer = api(world.a.member.user).post(
        "/articles",
        {
            "org_id": world.a.branch.pk,
            "column_id": Column.objects.first().pk,
            "title": "x",
            "body": "<p>x</p>",
        },
    )
    assert answer.status_code == 403
    assert not Article.objects.exists()


def test_a_countys_article_is_invisible_to_another_county_and_to_the_outsider(world, api, clock):
    article = published(world, county=world.a, title="汉台区动态")
    city = published(world, title="全市要闻")
    for user in (world.a.member.user, world.a.admin, world.a.branch_admin):
        ids = [a["id"] for a in api(user).get("/articles").json()["items"]]
        assert article.pk in ids and city.pk in ids
    for user in (world.b.member.user, world.b.admin):
        ids = [a["id"] for a in api(user).get("/articles").json()["items"]]
        assert ids == [city.pk]
        answer = api(user).get(f"/articles/{article.pk}")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    missing = api(world.b.admin).get("/articles/999999")
    assert (
        missing.status_code == 404
        and missing.json() == api(world.b.admin).get(f"/articles/{article.pk}").json()
    )
    assert api(world.outsider).get("/articles").json() == {"items": [], "count": 0}
    assert api(world.outsider).get(f"/articles/{city.pk}").status_code == 404
    assert api(None).get("/articles").status_code == 401


def test_the_list_filters_by_column_search_and_status(world, api, clock):
    news = published(world, county=world.a, title="基层动态", code="county_news")
    clock.shift(60)
    policy = published(world, county=world.a, title="党费收缴政策", code="policy")
    draft(world, county=world.a, title="未发布的草稿")
    member = api(world.a.member.user)
    column = Column.objects.get(code="county_news").pk
    assert [a["id"] for a in member.get("/articles").json()["items"]] == [policy.pk, news.pk]
    assert [a["id"] for a in member.get("/articles", {"column_id": column}).json()["items"]] == [
        news.pk
    ]
    assert [a["id"] for a in member.get("/articles", {"q": "党费"}).json()["items"]] == [policy.pk]
    drafts = api(world.a.admin).get("/articles", {"status": "draft"}).json()["items"]
    assert [a["title"] for a in drafts] == ["未发布的草稿"]
    assert member.get("/articles", {"status": "draft"}).json()["count"] == 0


def test_a_reading_counts_once_after_the_minimum_time(world, api, clock):
    article = published(world, county=world.a)
    client = api(world.a.member.user)
    path = f"/articles/{article.pk}/reading"
    early = client.post(path, {"action": "finish"})
    assert early.status_code == 409 and early.json()["code"] == "reading_not_started"
    started = client.post(path, {"action": "start"})
    assert started.status_code == 200 and started.json()["seconds_left"] == 60
    clock.shift(30)
    early = client.post(path, {"action": "finish", "reached_end": True})
    assert early.status_code == 409
    assert early.json()["code"] == "reading_too_short" and early.json()["seconds_left"] == 30
    clock.shift(45)
    done = client.post(path, {"action": "finish"}).json()
    assert done["counted"] is True and done["seconds"] == 75
    clock.shift(timedelta(minutes=10))
    assert client.post(path, {"action": "start"}).json()["counted_at"] == done["counted_at"]
    assert Reading.objects.count() == 1
    detail = client.get(f"/articles/{article.pk}").json()
    assert detail["reading"]["counted"] is True
    study = client.get("/me/study", {"month": "2026-12"}).json()
    assert study == {"month": "2026-12", "articles": 1, "minutes": 1}


def test_reading_outside_the_reach_is_refused(world, api, clock):
    article = published(world, county=world.a)
    answer = api(world.b.member.user).post(f"/articles/{article.pk}/reading", {"action": "start"})
    assert answer.status_code == 404
    # The city's admin reads it (above its organization) but is no member it reaches.
    answer = api(world.city_admin).post(f"/articles/{article.pk}/reading", {"action": "start"})
    assert answer.status_code == 403 and answer.json()["code"] == "not_in_scope"
    bad = api(world.a.member.user).post(f"/articles/{article.pk}/reading", {"action": "skip"})
    assert bad.status_code == 422
    assert not Reading.objects.exists()


def test_a_cover_is_processed_and_served_within_scope(world, api, clock):
    article = draft(world, county=world.a)
    upload = SimpleUploadedFile("cover.png", image_bytes("PNG", size=(1200, 800)), "image/png")
    answer = api(world.a.admin).post(
        f"/articles/{article.pk}/cover", {"file": upload}, content_type=MULTIPART_CONTENT
    )
    assert answer.status_code == 200, answer.content
    cover = answer.json()["cover_url"]
    assert cover.endswith("/full.jpg")
    headers = {"Authorization": f"Bearer {token_for(world.a.admin)}"}
    served = Client().get(cover, headers=headers)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"
    other = {"Authorization": f"Bearer {token_for(world.b.admin)}"}
    assert Client().get(cover, headers=other).status_code == 404
    refused = api(world.a.admin).post(
        f"/articles/{article.pk}/cover",
        {"file": SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")},
        content_type=MULTIPART_CONTENT,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "unsupported_file"


def test_an_attachment_is_read_by_whoever_reads_the_article(world, api, clock):
    article = draft(world, county=world.a)
    pdf = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n%test\n", "application/pdf")
    answer = api(world.a.admin).post(
        f"/articles/{article.pk}/attachments", {"file": pdf}, content_type=MULTIPART_CONTENT
    )
    assert answer.status_code == 201, answer.content
    url = answer.json()["url"].removeprefix("/api/v1")
    assert api(world.a.member.user).get(url).status_code == 404  # a draft: not yet theirs
    services.submit_article(actor=world.a.admin, article=article)
    services.publish_article(actor=world.city_admin, article=article)
    assert api(world.a.member.user).get(url).status_code == 200
    assert api(world.b.member.user).get(url).status_code == 404
    exe = SimpleUploadedFile("a.pdf", b"\x7fELF\x02\x01", "application/pdf")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    refused = api(world.a.admin).post(
        f"/articles/{article.pk}/attachments", {"file": exe}, content_type=MULTIPART_CONTENT
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_editable"


def test_an_admin_sees_the_published_newest_first_then_the_drafts(world, api, clock):
    older = published(world, county=world.a, title="旧文")
    clock.shift(60)
    newer = published(world, county=world.a, title="新文")
    clock.shift(60)
    pending = draft(world, county=world.a, title="草稿")
    ids = [a["id"] for a in api(world.a.admin).get("/articles").json()["items"]]
    assert ids == [newer.pk, older.pk, pending.pk]
