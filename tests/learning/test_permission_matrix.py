"""Learning's part of the permission matrix: role × article (a draft, a submitted and a
published article of county a) × action, through the API, the back office and the phone
pages. Out of scope answers as missing (404); readable but not to be acted on is 403; every
refusal changes nothing."""

import pytest
import time_machine

from dangjian.learning import services
from dangjian.learning.models import Article, ArticleStatus, Reading
from tests.learning.articles import NOW, draft, published

pytestmark = pytest.mark.django_db

ROLES = {
    "city_admin": lambda w: w.city_admin,
    "county_admin": lambda w: w.a.admin,
    "other_county_admin": lambda w: w.b.admin,
    "branch_admin": lambda w: w.a.branch_admin,
    "member": lambda w: w.a.member.user,
    "other_branch_member": lambda w: w.b.member.user,
    "outsider": lambda w: w.outsider,
    "anonymous": lambda w: None,
}

# What the API answers. The draft and the submitted article were written by county a's
# admin, who therefore may not publish it (403 `author_cannot_publish`); the reading is
# only for members the published article reaches (403 `not_in_scope` for admins who read
# it without being such a member).
# fmt: off
API_MATRIX = {
    #                       read    edit    publish    read       withdraw   reading
    #                       draft   draft   submitted  published  published  published
    "city_admin":          (200,    200,    200,       200,       200,       403),
    "county_admin":        (200,    200,    403,       200,       200,       403),
    "other_county_admin":  (404,    404,    404,       404,       404,       404),
    "branch_admin":        (404,    404,    404,       200,       403,       200),
    "member":              (404,    404,    404,       200,       403,       200),
    "other_branch_member": (404,    404,    404,       404,       404,       404),
    "outsider":            (404,    404,    404,       404,       404,       404),
    "anonymous":           (401,    401,    401,       401,       401,       401),
}
# The published article's page: in the back office (for admins only: anyone else gets 403)
# and on the phone (for members it reaches; an account without a member record gets the
# page that says so, "no_member").
PAGE_MATRIX = {
    "city_admin":          (200,    "no_member"),
    "county_admin":        (200,    "no_member"),
    "other_county_admin":  (404,    "no_member"),
    "branch_admin":        (200,    200),
    "member":              (403,    200),
    "other_branch_member": (403,    404),
    "outsider":            (403,    "no_member"),
    "anonymous":           (302,    302),
}
# fmt: on
CODES = {(403, "county_admin", "publish"): "author_cannot_publish"}


def test_the_matrices_cover_every_role():
    assert set(API_MATRIX) == set(ROLES) == set(PAGE_MATRIX)


@pytest.fixture
def articles(world):
    with time_machine.travel(NOW, tick=False):
        pending = draft(world, county=world.a, title="待审核")
        services.submit_article(actor=world.a.admin, article=pending)
        return {
            "draft": draft(world, county=world.a, title="草稿"),
            "submitted": pending,
            "published": published(world, county=world.a, title="已发布"),
        }


def _status(article: Article) -> str:
    return Article.objects.get(pk=article.pk).status


@pytest.mark.parametrize("role", list(API_MATRIX))
def test_learning_api_permission_matrix(world, articles, api, role):
    client = api(ROLES[role](world))
    read_draft, edit_draft, publish, read_published, withdraw, reading = API_MATRIX[role]
    drafted, pending, live = articles["draft"], articles["submitted"], articles["published"]

    assert client.get(f"/articles/{drafted.pk}").status_code == read_draft
    answer = client.patch(
        f"/articles/{drafted.pk}", {"title": "改过的标题"}, content_type="application/json"
    )
    assert answer.status_code == edit_draft
    assert (Article.objects.get(pk=drafted.pk).title == "改过的标题") == (edit_draft == 200)

    answer = client.post(f"/articles/{pending.pk}/publish")
    assert answer.status_code == publish
    if (publish, role, "publish") in CODES:
        assert answer.json()["code"] == CODES[(publish, role, "publish")]
    expected = ArticleStatus.PUBLISHED if publish == 200 else ArticleStatus.SUBMITTED
    assert _status(pending) == expected

    assert client.get(f"/articles/{live.pk}").status_code == read_published
    answer = client.post(f"/articles/{live.pk}/reading", {"action": "start"})
    assert answer.status_code == reading
    if reading == 403:
        assert answer.json()["code"] == "not_in_scope"
    assert Reading.objects.filter(article=live).count() == (1 if reading == 200 else 0)

    answer = client.post(f"/articles/{live.pk}/withdraw")
    assert answer.status_code == withdraw
    expected = ArticleStatus.WITHDRAWN if withdraw == 200 else ArticleStatus.PUBLISHED
    assert _status(live) == expected


@pytest.mark.parametrize("role", list(PAGE_MATRIX))
def test_learning_pages_permission_matrix(world, articles, page, role):
    client = page(ROLES[role](world))
    live = articles["published"]
    console, phone = PAGE_MATRIX[role]
    assert client.get(f"/console/learning/articles/{live.pk}/").status_code == console
    with time_machine.travel(NOW, tick=False):
        answer = client.get(f"/m/learning/articles/{live.pk}/")
    html = answer.content.decode()
    if phone == "no_member":
        assert answer.status_code == 200 and live.title not in html
    else:
        assert answer.status_code == phone
        assert (live.title in html) == (phone == 200)
    assert Reading.objects.filter(article=live).count() == (1 if phone == 200 else 0)
