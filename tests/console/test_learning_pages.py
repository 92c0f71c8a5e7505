"""Learning in the back office: the article list per status, the editor, and the review
where someone other than the author publishes or withdraws."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.learning.models import Article, ArticleStatus, Column
from tests.interaction.conftest import image_bytes
from tests.learning.articles import NOW, draft, published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _form(**overrides) -> dict:
    return {
        "column": Column.objects.get(code="party_knowledge").pk,
        "title": "发展党员工作流程",
        "body": "<p>入党申请人、积极分子、发展对象、预备党员。</p><script>x()</script>",
        "source": "组织部",
        "video_url": "",
        **overrides,
    }


def test_an_editor_drafts_with_a_cover_and_a_reviewer_publishes(world, page):
    editor = page(world.a.admin)
    data = _form(
        cover=SimpleUploadedFile("c.jpg", image_bytes(size=(900, 600)), "image/jpeg"),
        attachment=SimpleUploadedFile("流程.pdf", b"%PDF-1.4\n%x\n", "application/pdf"),
    )
    answer = editor.post(f"/console/orgs/{world.a.org.pk}/articles/new/", data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    article = Article.objects.get()
    assert article.status == ArticleStatus.DRAFT and article.cover and "script" not in article.body
    assert article.attachments.count() == 1

    detail = editor.get(f"/console/learning/articles/{article.pk}/").content.decode()
    assert "提交审核" in detail and "流程.pdf" in detail
    editor.post(f"/console/learning/articles/{article.pk}/submit/")
    own = editor.post(f"/console/learning/articles/{article.pk}/publish/", follow=True)
    assert "不能发布自己撰写的文章" in own.content.decode()
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED

    reviewer = page(world.city_admin)
    assert (
        "审核通过并发布"
        in reviewer.get(f"/console/learning/articles/{article.pk}/").content.decode()
    )
    reviewer.post(f"/console/learning/articles/{article.pk}/publish/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.reviewer == world.city_admin
    reviewer.post(f"/console/learning/articles/{article.pk}/withdraw/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.WITHDRAWN


def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(world, page):
    answer = page(world.a.admin).post(
        f"/console/orgs/{world.a.org.pk}/articles/new/",
        _form(
            video_url="javascript:alert(1)",
        ),
    )
    assert answer.status_code == 200
    assert "视频链接须为 http 或 https 开头的网址" in answer.content.decode()
    bad_cover = page(world.a.admin).post(
        f"/console/orgs/{world.a.org.pk}/articles/new/",
        _form(cover=SimpleUploadedFile("c.jpg", b"not an image", "image/jpeg")),
    )
    assert bad_cover.status_code == 200
    assert not Article.objects.exists()


def test_the_list_is_per_status_and_scoped(world, page):
    mine = draft(world, county=world.a, title="汉台区草稿")
    live = published(world, county=world.a, title="汉台区已发布")
    theirs = draft(world, county=world.b, title="南郑区草稿")
    client = page(world.a.admin)
    html = client.get("/console/learning/articles/").content.decode()
    assert mine.title in html and live.title in html and theirs.title not in html
    html = client.get("/console/learning/articles/", {"status": "published"}).content.decode()
    assert live.title in html and mine.title not in html
    assert "已发布 1" in html and "草稿 1" in html
    assert client.get(f"/console/learning/articles/{theirs.pk}/").status_code == 404
    assert client.get(f"/console/learning/articles/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/console/learning/articles/{theirs.pk}/submit/").status_code == 404


def test_a_branch_admin_reads_a_published_county_article_but_does_not_review_it(world, page):
    article = published(world, county=world.a)
    client = page(world.a.branch_admin)
    html = client.get(f"/console/learning/articles/{article.pk}/").content.decode()
    assert article.title in html and f"/articles/{article.pk}/withdraw/" not in html
    assert client.post(f"/console/learning/articles/{article.pk}/withdraw/").status_code == 403
    assert client.get(f"/console/learning/articles/{article.pk}/edit/").status_code == 403
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_members_and_the_outsider_are_kept_out_of_the_console(world, page):
    article = published(world, county=world.a)
    for user in (world.a.member.user, world.outsider):
        assert page(user).get("/console/learning/articles/").status_code == 403
        assert page(user).get(f"/console/learning/articles/{article.pk}/").status_code == 403
    assert page(None).get("/console/learning/articles/").status_code == 302
