"""A quiz's and a study package's publication take one step (publishing.publish_draft): the
status and its times stamped together, and the change from draft to published audited."""

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.learning import packages
from dangjian.learning.models import PackageStatus, QuizStatus
from tests.learning.articles import NOW, published
from tests.learning.quizzes import bank, quiz

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def published_as(item, action):
    item.refresh_from_db()
    entry = AuditEntry.objects.get(action=action, object_id=str(item.pk))
    return (item.status, item.published_at, item.updated_at, entry.before, entry.after)


def test_a_quiz_and_a_package_are_published_alike(world):
    cat, _questions = bank(world, n=1)
    test = quiz(world, draws=[(cat, 1, 1)])
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        title="十二月学习套餐",
        articles=[published(world, title="学习一")],
        quiz=test,
    )
    packages.publish_package(actor=world.city_admin, package=package)

    draft, done = {"status": "draft"}, {"status": "published"}
    assert published_as(test, "quiz.publish") == (QuizStatus.PUBLISHED, NOW, NOW, draft, done)
    assert published_as(package, "package.publish") == (
        PackageStatus.PUBLISHED,
        NOW,
        NOW,
        draft,
        done,
    )
