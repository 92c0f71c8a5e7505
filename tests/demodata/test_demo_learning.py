"""The demo's 学习 columns: published articles in every column, the county's reaching its
own members only, seeded once."""

import io

import pytest
from django.core.management import call_command

from dangjian.learning import selectors
from dangjian.learning.models import Article, ArticleStatus, Column
from dangjian.registry.models import Member, User

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed", "--scale", "demo", "--no-members", stdout=out)
    return out.getvalue()


def test_the_demo_publishes_articles_in_every_column_reviewed_by_another_admin(db):
    assert "articles published" in _seed()
    articles = Article.objects.all()
    assert articles.count() >= 10
    assert set(articles.values_list("status", flat=True)) == {ArticleStatus.PUBLISHED}
    for column in Column.objects.all():
        assert articles.filter(column=column).count() >= 2, column.name
    assert not any(a.author_id == a.reviewer_id for a in articles)
    assert not User.objects.get(phone="13900000009").has_usable_password()


def test_the_demo_member_reads_the_citys_and_their_countys_articles(db):
    _seed()
    member = Member.objects.get(user__phone="13900000004")
    seen = list(selectors.articles_for_member(member))
    assert len(seen) == Article.objects.count()
    county_news = Article.objects.filter(column__code="county_news")
    assert all(a.org.name == "汉台区" or "汉台" in a.org.name for a in county_news)


def test_seeding_again_publishes_nothing_more(db):
    _seed()
    before = Article.objects.count()
    assert "articles published" not in _seed()
    assert Article.objects.count() == before
