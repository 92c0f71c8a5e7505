"""Learning's part of the permission matrix: role × article (a draft, a submitted and a
published article of county a) × action, through the API, the back office and the phone
pages. Out of scope answers as missing (404); readable but not to be acted on is 403; every
refusal changes nothing. Each role's row is tried in one case (permission_matrix.cases,
by_row); the tables' rows are checked by tests/permission_matrix/test_every_matrix.py."""

import pytest
import time_machine

from dangjian.learning import services
from dangjian.learning.models import Article, ArticleStatus, Reading
from tests.learning.articles import NOW, draft, published
from tests.permission_matrix.cases import (
    WIDER_ROLES,
    A,
    Expect,
    F,
    L,
    N,
    assert_refused,
    matrix_cases,
)

pytestmark = pytest.mark.django_db

ROLES = WIDER_ROLES  # also the quizzes' and the study packages' tests' roles

# What the API answers. The draft and the submitted article were written by county a's
# admin, who therefore may not publish it (403 `author_cannot_publish`); the reading is
# only for members the published article reaches (403 `not_in_scope` for admins who read
# it without being such a member).
# fmt: off
API_MATRIX = [
    # role                  read   edit   publish    read       withdraw   reading
    #                       draft  draft  submitted  published  published  published
    ("city_admin",          A,     A,     A,         A,         A,         F),
    ("county_admin",        A,     A,     F,         A,         A,         F),
    ("other_county_admin",  N,     N,     N,         N,         N,         N),
    ("branch_admin",        N,     N,     N,         A,         F,         A),
    ("member",              N,     N,     N,         A,         F,         A),
    ("other_branch_member", N,     N,     N,         N,         N,         N),
    ("outsider",            N,     N,     N,         N,         N,         N),
    ("anonymous",           L,     L,     L,         L,         L,         L),
]
# fmt: on
API_ACTIONS = ("read_draft", "edit_draft", "publish", "read_published", "withdraw", "reading")
FORBIDDEN_CODES = {"publish": "author_cannot_publish", "reading": "not_in_scope"}

# The published article's page: in the back office (for admins only: anyone else gets 403)
# and on the phone (for members it reaches; an account without a member record gets the
# page that says so, NO_MEMBER).
NO_MEMBER = "no_member"
# fmt: off
PAGE_MATRIX = [
    # role                  console  phone
    ("city_admin",          A,       NO_MEMBER),
    ("county_admin",        A,       NO_MEMBER),
    ("other_county_admin",  N,       NO_MEMBER),
    ("branch_admin",        A,       A),
    ("member",              F,       A),
    ("other_branch_member", F,       N),
    ("outsider",            F,       NO_MEMBER),
    ("anonymous",           L,       L),
]
# fmt: on
PAGE_ACTIONS = ("console", "phone")


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


def _answered(resp, action: str, expect: Expect) -> bool:
    """Through the API: 200 for an allowed action, or the refusal the table expects.
    Whether it was allowed."""
    if expect is Expect.ALLOW:
        assert resp.status_code == 200, resp.content
        return True
    assert_refused(resp, "api", expect, forbidden_code=FORBIDDEN_CODES.get(action, ""))
    return False


@pytest.mark.parametrize(
    "role, answers", matrix_cases(API_MATRIX, API_ACTIONS, roles=ROLES, by_row=True)
)
def test_learning_api_permission_matrix(world, articles, api, role, answers):
    client = api(ROLES[role](world))
    drafted, pending, live = articles["draft"], articles["submitted"], articles["published"]

    _answered(client.get(f"/articles/{drafted.pk}"), "read_draft", answers["read_draft"])
    answer = client.patch(
        f"/articles/{drafted.pk}", {"title": "改过的标题"}, content_type="application/json"
    )
    edited = _answered(answer, "edit_draft", answers["edit_draft"])
    assert (Article.objects.get(pk=drafted.pk).title == "改过的标题") == edited

    published_now = _answered(
        client.post(f"/articles/{pending.pk}/publish"), "publish", answers["publish"]
    )
    expected = ArticleStatus.PUBLISHED if published_now else ArticleStatus.SUBMITTED
    assert _status(pending) == expected

    answer = client.get(f"/articles/{live.pk}")
    _answered(answer, "read_published", answers["read_published"])
    answer = client.post(f"/articles/{live.pk}/reading", {"action": "start"})
    reading = _answered(answer, "reading", answers["reading"])
    assert Reading.objects.filter(article=live).count() == (1 if reading else 0)

    withdrawn = _answered(
        client.post(f"/articles/{live.pk}/withdraw"), "withdraw", answers["withdraw"]
    )
    expected = ArticleStatus.WITHDRAWN if withdrawn else ArticleStatus.PUBLISHED
    assert _status(live) == expected


@pytest.mark.parametrize(
    "role, answers", matrix_cases(PAGE_MATRIX, PAGE_ACTIONS, roles=ROLES, by_row=True)
)
def test_learning_pages_permission_matrix(world, articles, page, role, answers):
    client = page(ROLES[role](world))
    live = articles["published"]
    answer = client.get(f"/console/learning/articles/{live.pk}/")
    if answers["console"] is Expect.ALLOW:
        assert answer.status_code == 200
    else:
        assert_refused(answer, "page", answers["console"])

    with time_machine.travel(NOW, tick=False):
        answer = client.get(f"/m/learning/articles/{live.pk}/")
    html = answer.content.decode()
    phone = answers["phone"]
    if phone == NO_MEMBER:
        assert answer.status_code == 200 and live.title not in html
    elif phone is Expect.ALLOW:
        assert answer.status_code == 200 and live.title in html
    else:
        assert_refused(answer, "page", phone)
        assert live.title not in html
    assert Reading.objects.filter(article=live).count() == (1 if phone is Expect.ALLOW else 0)
