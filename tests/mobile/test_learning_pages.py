"""The member's 学习 pages: the list per column with search, and the article page that
starts the reading as it opens and finishes it with the server's check."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.learning import services
from dangjian.learning.models import Column, Reading
from dangjian.mobile import learning as mobile_learning
from tests.learning.articles import NOW, SHORT_BODY, draft, published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_home_page_links_to_learning(world, page):
    assert "/m/learning/" in page(world.a.member.user).get("/m/").content.decode()


def test_the_list_shows_what_reaches_the_branch_per_column_and_by_search(world, page, clock):
    own = published(world, county=world.a, title="汉台区基层动态", code="county_news")
    city = published(world, title="全市党费工作要求", body="<p>按月缴纳党费。</p>" * 30)
    other = published(world, county=world.b, title="南郑区动态")
    draft(world, county=world.a, title="草稿不显示")
    client = page(world.a.member.user)
    html = client.get("/m/learning/").content.decode()
    assert own.title in html and city.title in html
    assert other.title not in html and "草稿不显示" not in html
    column = Column.objects.get(code="county_news")
    html = client.get("/m/learning/", {"column": column.pk}).content.decode()
    assert own.title in html and city.title not in html
    html = client.get("/m/learning/", {"q": "按月缴纳"}).content.decode()
    assert city.title in html and own.title not in html


def test_the_next_page_keeps_the_column_and_the_search(world, page, clock, monkeypatch):
    monkeypatch.setattr(mobile_learning, "PAGE_SIZE", 1)
    for title in ("党建动态一", "党建动态二"):
        published(world, county=world.a, title=title, code="county_news")
    column = Column.objects.get(code="county_news")
    html = (
        page(world.a.member.user)
        .get("/m/learning/", {"column": column.pk, "q": "党建动态"})
        .content.decode()
    )
    assert f"?column={column.pk}&amp;q=%E5%85%9A%E5%BB%BA%E5%8A%A8%E6%80%81&amp;page=2" in html


def test_opening_an_article_starts_the_reading_and_the_button_finishes_it(world, page, clock):
    article = published(world, county=world.a)
    client = page(world.a.member.user)
    url = f"/m/learning/articles/{article.pk}/"
    opened = client.get(url)
    assert opened.status_code == 200 and "我已读完" in opened.content.decode()
    assert Reading.objects.get().opened_at == NOW
    clock.shift(20)
    early = client.post(url, {"reached_end": "1"})
    assert early.status_code == 200 and "阅读时间不足，请再阅读 40 秒" in early.content.decode()
    assert Reading.objects.get().opened_at == NOW  # the refusal did not open it again
    clock.shift(40)
    done = client.post(url, {"reached_end": "1"})
    assert done.status_code == 302
    reading = Reading.objects.get()
    assert reading.counted_at == NOW + timedelta(seconds=60) and reading.seconds == 60
    page_after = client.get(url).content.decode()
    assert "计入学习记录" in page_after and "我已读完" not in page_after
    assert "本月已学习 1 篇，1 分钟" in client.get("/m/learning/").content.decode()


def test_a_short_article_counts_when_its_end_is_reached(world, page, clock):
    article = published(world, county=world.a, body=SHORT_BODY)
    client = page(world.a.member.user)
    url = f"/m/learning/articles/{article.pk}/"
    client.get(url)
    clock.shift(5)
    assert client.post(url, {"reached_end": "1"}).status_code == 302
    assert Reading.objects.get().counted_at is not None


def test_an_article_out_of_reach_is_not_found(world, page, clock):
    article = published(world, county=world.a)
    pending = draft(world, county=world.a)
    assert page(world.b.member.user).get(f"/m/learning/articles/{article.pk}/").status_code == 404
    assert page(world.a.member.user).get(f"/m/learning/articles/{pending.pk}/").status_code == 404
    assert page(world.a.member.user).get("/m/learning/articles/999999/").status_code == 404
    assert not Reading.objects.exists()


def test_the_outsider_and_anonymous_read_nothing(world, page, clock):
    article = published(world)
    outsider = page(world.outsider).get(f"/m/learning/articles/{article.pk}/")
    assert outsider.status_code == 200 and article.title not in outsider.content.decode()
    anonymous = page(None).get(f"/m/learning/articles/{article.pk}/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert not Reading.objects.exists()


def test_an_attachment_is_downloaded_by_the_members_it_reaches(world, page, clock):
    article = draft(world, county=world.a)
    attachment = services.add_article_attachment(
        actor=world.a.admin,
        article=article,
        file=SimpleUploadedFile("学习材料.pdf", b"%PDF-1.4\n%x\n", "application/pdf"),
        name="学习材料.pdf",
    )
    services.submit_article(actor=world.a.admin, article=article)
    services.publish_article(actor=world.city_admin, article=article)
    url = f"/m/learning/attachments/{attachment.pk}/"
    answer = page(world.a.member.user).get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert page(world.b.member.user).get(url).status_code == 404
