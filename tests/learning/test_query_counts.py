"""The article lists members open most: their number of queries does not grow with the
number of articles."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.learning.articles import NOW, published

pytestmark = pytest.mark.django_db


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_article_list_costs_the_same_for_1_or_6_articles(world, api, page):
    client, phone = api(world.a.member.user), page(world.a.member.user)
    published(world, county=world.a, title="第1篇")
    few_api = queries(lambda: client.get("/articles"))
    few_page = queries(lambda: phone.get("/m/learning/"))
    for i in range(5):
        published(world, title=f"第{i + 2}篇")
    many_api = queries(lambda: client.get("/articles"))
    many_page = queries(lambda: phone.get("/m/learning/"))
    assert client.get("/articles").json()["count"] == 6
    assert (many_api, many_page) == (few_api, few_page)
