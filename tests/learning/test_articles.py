"""Articles: sanitized on the way in, reviewed by someone other than their author, and read
only within the publishing organization's subtree."""

import pytest
import time_machine
from django.db import IntegrityError, transaction

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.learning import selectors, services
from dangjian.learning.models import Article, ArticleStatus, Column
from tests.learning.articles import NOW, column, draft, published, second_city_admin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_five_default_columns_exist_in_order():
    names = list(Column.objects.values_list("name", flat=True))
    assert names == ["党内要闻", "政策资讯", "党务知识", "县区动态", "典型经验"]


def test_a_body_is_sanitized_and_its_text_kept_for_search(world):
    article = services.create_article(
        actor=world.a.admin,
        org=world.a.org,
        column=column(),
        title="  全会精神  ",
        body='<p onclick="steal()">学习<script>alert(1)</script><b>全会</b>精神</p>'
        '<img src="https://evil.example/x.png"><a href="javascript:alert(1)">链接</a>'
        '<style>p{}</style><a href="https://www.12371.cn/">共产党员网</a>',
    )
    assert article.title == "全会精神"
    assert "script" not in article.body and "onclick" not in article.body
    assert "<img" not in article.body and "javascript" not in article.body
    assert '<a href="https://www.12371.cn/" rel="noopener noreferrer nofollow">' in article.body
    assert article.body_text == "学习全会精神 链接共产党员网"
    assert article.status == ArticleStatus.DRAFT and article.author == world.a.admin


def test_a_body_without_text_is_refused(world):
    with pytest.raises(DomainError) as exc:
        draft(world, county=world.a, body="<script>alert(1)</script><p> </p>")
    assert exc.value.code == "validation_error"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "ftp://a.cn/v.mp4", "https://", "//a.cn/v"]
)
def test_a_video_link_must_be_http_or_https(world, url):
    with pytest.raises(DomainError) as exc:
        services.create_article(
            actor=world.a.admin,
            org=world.a.org,
            column=column(),
            title="视频",
            body="<p>正文</p>",
            video_url=url,
        )
    assert exc.value.code == "invalid_video_url"


def test_the_database_refuses_a_video_link_of_another_scheme(world):
    article = draft(world, county=world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(video_url="javascript:alert(1)")


def test_an_admin_drafts_only_for_an_organization_they_administer(world):
    with pytest.raises(DomainError) as exc:
        services.create_article(
            actor=world.a.admin, org=world.b.org, column=column(), title="越权", body="<p>x</p>"
        )
    assert exc.value.code == "not_found"
    with pytest.raises(DomainError) as exc:
        services.create_article(
            actor=world.a.member.user, org=world.a.branch, column=column(), title="x", body="x"
        )
    assert exc.value.code == "forbidden"


def test_the_author_cannot_publish_their_own_article(world):
    article = draft(world, county=world.a)
    services.submit_article(actor=world.a.admin, article=article)
    with pytest.raises(DomainError) as exc:
        services.publish_article(actor=world.a.admin, article=article)
    assert exc.value.code == "author_cannot_publish"
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED


def test_another_admin_of_the_organization_or_above_publishes(world):
    article = draft(world, county=world.a)
    services.submit_article(actor=world.a.admin, article=article)
    article = services.publish_article(actor=world.city_admin, article=article)
    assert article.status == ArticleStatus.PUBLISHED
    assert article.reviewer == world.city_admin and article.published_at == NOW


def test_an_admin_below_the_publishing_organization_cannot_publish(world):
    article = draft(world, county=world.a)
    services.submit_article(actor=world.a.admin, article=article)
    with pytest.raises(DomainError) as exc:
        services.publish_article(actor=world.a.branch_admin, article=article)
    assert exc.value.code == "not_found"  # a submitted article is not theirs to see


def test_the_database_refuses_a_reviewer_who_is_the_author(world):
    article = published(world, county=world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(reviewer=article.author)


def test_only_a_submitted_article_is_published(world):
    article = draft(world, county=world.a)
    with pytest.raises(DomainError) as exc:
        services.publish_article(actor=world.city_admin, article=article)
    assert exc.value.code == "invalid_status"


def test_a_published_article_is_not_edited_until_withdrawn_and_then_is_a_draft_again(world):
    article = published(world, county=world.a)
    with pytest.raises(DomainError) as exc:
        services.edit_article(actor=world.a.admin, article=article, title="改")
    assert exc.value.code == "not_editable"
    article = services.withdraw_article(actor=world.a.admin, article=article)
    assert article.status == ArticleStatus.WITHDRAWN and article.withdrawn_at == NOW
    article = services.edit_article(actor=world.a.admin, article=article, title="更正后的标题")
    assert article.status == ArticleStatus.DRAFT and article.title == "更正后的标题"


def test_every_step_is_audited_in_the_organization(world):
    article = published(world, county=world.a)
    services.withdraw_article(actor=world.city_admin, article=article)
    entries = AuditEntry.objects.filter(object_type="learning.article", object_id=str(article.pk))
    assert list(entries.order_by("pk").values_list("action", "org_id")) == [
        ("article.create", world.a.org.pk),
        ("article.submit", world.a.org.pk),
        ("article.publish", world.a.org.pk),
        ("article.withdraw", world.a.org.pk),
    ]


# Scope ------------------------------------------------------------------------------------


def test_a_countys_article_is_invisible_to_another_county(world):
    article = published(world, county=world.a, title="汉台区动态")
    assert [a.pk for a in selectors.articles_for_member(world.a.member)] == [article.pk]
    assert list(selectors.articles_for_member(world.b.member)) == []
    assert article not in selectors.articles_for(world.b.admin)
    assert article not in selectors.articles_for(world.b.member.user)
    for user in (world.b.admin, world.b.member.user, world.b.branch_admin, world.outsider):
        with pytest.raises(DomainError) as exc:
            permissions.access_article(user, article.pk)
        assert exc.value.code == "not_found"


def test_the_citys_article_reaches_every_member_and_admin(world):
    article = published(world, title="全市要闻")
    for member in (world.a.member, world.a.flowing, world.b.member):
        assert article in selectors.articles_for_member(member)
    for user in (world.a.admin, world.b.branch_admin, world.b.member.user):
        assert permissions.access_article(user, article.pk) == article


def test_drafts_are_read_by_the_organizations_admins_only(world):
    article = draft(world, county=world.a)
    assert permissions.access_article(world.a.admin, article.pk) == article
    assert permissions.access_article(world.city_admin, article.pk) == article
    for user in (world.a.branch_admin, world.a.member.user, world.b.admin):
        with pytest.raises(DomainError):
            permissions.access_article(user, article.pk)
    assert list(selectors.articles_for_member(world.a.member)) == []


def test_members_see_the_newest_first_per_column_and_by_search(world, _clock):
    first = published(world, title="党章学习", body="<p>学习党章，遵守党章。</p>")
    _clock.shift(60)
    second = published(
        world, county=world.a, title="基层动态", body="<p>村里修了新路。</p>", code="county_news"
    )
    member = world.a.member
    assert list(selectors.articles_for_member(member)) == [second, first]
    assert list(selectors.articles_for_member(member, column=column("county_news"))) == [second]
    assert list(selectors.articles_for_member(member, q="党章")) == [first]
    assert list(selectors.articles_for_member(member, q="新路")) == [second]
    assert list(selectors.articles_for_member(member, q="没有的词")) == []


def test_a_withdrawn_article_leaves_the_members_list(world):
    article = published(world, county=world.a)
    services.withdraw_article(actor=world.a.admin, article=article)
    assert list(selectors.articles_for_member(world.a.member)) == []


def test_a_second_city_admin_publishes_the_citys_article(world):
    article = published(world, title="全市")
    assert article.reviewer == second_city_admin(world)


def test_the_default_columns_are_made_again_where_missing():
    Column.objects.filter(code="cases").delete()
    columns = services.ensure_default_columns()
    assert [code for code, _name in services.DEFAULT_COLUMNS] == [
        code for code in columns if code in dict(services.DEFAULT_COLUMNS)
    ]
    assert columns["cases"].name == "典型经验"
    assert services.ensure_default_columns().keys() == columns.keys()
