"""Study packages through /api/v1/: the permission matrix (role × the city's published
package and county a's draft add-on × action), the create → publish → push → progress
path, and a push answered the same way twice."""

import pytest
import time_machine

from dangjian.learning import packages
from dangjian.learning.models import StudyPackage
from dangjian.notifications.models import Notification
from tests.learning.articles import NOW, published
from tests.learning.quizzes import bank, quiz
from tests.learning.test_permission_matrix import ROLES

pytestmark = pytest.mark.django_db

# A published package is read by those it reaches and the admins inside its scope; a draft
# only by the admins of its organization and above; publishing, pushing and the completion
# table are for those admins (403 for one who only reads it). Progress is a member's own.
# fmt: off
API_MATRIX = {
    #                       read       read    publish  push   completion  my
    #                       published  draft   draft    city   city        progress
    "city_admin":          (200,       200,    200,     202,   200,        403),
    "county_admin":        (200,       200,    200,     403,   403,        403),
    "other_county_admin":  (200,       404,    404,     403,   403,        403),
    "branch_admin":        (200,       404,    404,     403,   403,        200),
    "member":              (200,       404,    404,     403,   403,        200),
    "other_branch_member": (200,       404,    404,     403,   403,        200),
    "outsider":            (404,       404,    404,     404,   404,        403),
    "anonymous":           (401,       401,    401,     401,   401,        401),
}
# fmt: on


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def objects(world, clock):
    first = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    city = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        title="十二月学习套餐",
        articles=[first],
        quiz=quiz(world, draws=[(cat, 1, 1)]),
    )
    city = packages.publish_package(actor=world.city_admin, package=city)
    extra = published(world, county=world.a, title="汉台区补充学习")
    addon = packages.create_package(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        title="汉台区补充",
        articles=[extra],
        parent=city,
    )
    return {"city": city, "addon": addon}


def test_the_matrix_covers_every_role():
    assert set(API_MATRIX) == set(ROLES)


@pytest.mark.parametrize("role", list(API_MATRIX))
def test_package_api_permission_matrix(
    world, objects, api, role, django_capture_on_commit_callbacks
):
    client = api(ROLES[role](world))
    read_live, read_draft, publish, push, completion, progress = API_MATRIX[role]
    city, addon = objects["city"], objects["addon"]
    assert client.get(f"/packages/{city.pk}").status_code == read_live
    assert client.get(f"/packages/{addon.pk}").status_code == read_draft
    assert client.post(f"/packages/{addon.pk}/publish").status_code == publish
    addon.refresh_from_db()
    assert (addon.status == "published") == (publish == 200)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/packages/{city.pk}/push").status_code == push
    assert Notification.objects.filter(dedupe_key=city.dedupe_key).exists() == (push == 202)
    assert client.get(f"/packages/{city.pk}/completion").status_code == completion
    assert client.get("/me/packages").status_code == progress


def test_create_publish_push_and_progress_through_the_api(
    world, api, clock, django_capture_on_commit_callbacks
):
    article = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    test = quiz(world, draws=[(cat, 1, 1)])
    admin = api(world.city_admin)
    answer = admin.post(
        "/packages",
        {
            "org_id": world.city.pk,
            "month": "2026-12",
            "title": "十二月学习套餐",
            "article_ids": [article.pk],
            "quiz_id": test.pk,
        },
    )
    assert answer.status_code == 201, answer.json()
    package_id = answer.json()["id"]
    assert answer.json()["article_ids"] == [article.pk]
    again = admin.post(
        "/packages",
        {
            "org_id": world.city.pk,
            "month": "2026-12",
            "title": "再来一个",
            "article_ids": [article.pk],
            "quiz_id": test.pk,
        },
    )
    assert (again.status_code, again.json()["code"]) == (409, "package_exists")
    assert admin.post(f"/packages/{package_id}/publish").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        first = admin.post(f"/packages/{package_id}/push")
    sent = Notification.objects.filter(dedupe_key=f"study_package:{package_id}").count()
    with django_capture_on_commit_callbacks(execute=True):
        second = admin.post(f"/packages/{package_id}/push")
    assert first.json() == {"already_pushed": False} and second.json() == {"already_pushed": True}
    assert Notification.objects.filter(dedupe_key=f"study_package:{package_id}").count() == sent
    assert StudyPackage.objects.get(pk=package_id).notified_members == sent == 6

    mine = api(world.a.member.user).get("/me/packages").json()
    assert mine == [
        {
            "package_id": package_id,
            "title": "十二月学习套餐",
            "month": "2026-12",
            "articles": [{"id": article.pk, "title": "学习一", "read": False}],
            "articles_read": 0,
            "quiz": {"id": test.pk, "title": test.title, "grade": None, "passed": False},
            "complete": False,
        }
    ]
    by_county = admin.get(f"/packages/{package_id}/completion", {"by": "county"}).json()
    assert {row["name"] for row in by_county} == {world.a.org.name, world.b.org.name}
    assert [row["complete"] for row in by_county] == [0, 0]
