"""The monthly study package (issue 19, point 3): made by the city with a county's add-on,
pushed once to every member in scope, and complete exactly when every required article is
read and the quiz passed, per member, per branch and per county, in constant queries."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.errors import DomainError
from dangjian.learning import packages, quiz_services
from dangjian.learning import services as learning
from dangjian.learning.models import PackageStatus
from dangjian.notifications.models import Notification
from dangjian.registry import services as registry
from tests.factories import make_member
from tests.learning.articles import NOW, published
from tests.learning.quizzes import bank, quiz

pytestmark = pytest.mark.django_db
MONTH = date(2026, 12, 1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def made(world, clock):
    """The city's published December package: two articles and a one-question quiz."""
    first = published(world, title="学习一")
    second = published(world, title="学习二")
    cat, _questions = bank(world, n=1)
    test = quiz(world, draws=[(cat, 1, 1)])
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        title="十二月学习套餐",
        articles=[first, second],
        quiz=test,
    )
    package = packages.publish_package(actor=world.city_admin, package=package)
    return package, [first, second], test


def read(member, article, clock):
    learning.start_reading(member=member, article=article)
    clock.shift(60)
    learning.finish_reading(member=member, article=article)


def take(member, test, *, right=True):
    attempt, _created = quiz_services.start_attempt(member=member, quiz=test)
    answer = attempt.answers.get()
    quiz_services.save_answer(
        member=member, attempt=attempt, question_id=answer.question_id, answer=right, version=1
    )
    return quiz_services.submit_attempt(member=member, attempt=attempt)


def push(actor, package, capture):
    # The push is queued on commit; the test transaction never commits, so run it here.
    with capture(execute=True):
        return packages.push_package(actor=actor, package=package)


def test_a_push_notifies_every_active_member_once_and_a_second_push_nobody(
    world, made, django_capture_on_commit_callbacks
):
    package, _articles, _quiz = made
    left = make_member(world.city_admin, world.b.branch, name="已离开党员")
    registry.mark_member_left(actor=world.city_admin, member=left)
    assert push(world.city_admin, package, django_capture_on_commit_callbacks) == {
        "already_pushed": False
    }
    notified = list(
        Notification.objects.filter(dedupe_key=package.dedupe_key).values_list("user_id", flat=True)
    )
    expected = {
        m.user_id for m in (world.a.member, world.a.flowing, world.b.member, world.b.flowing)
    } | {world.a.branch_admin.pk, world.b.branch_admin.pk}
    assert sorted(notified) == sorted(expected)
    assert left.user_id not in notified
    before = Notification.objects.count()
    again = push(world.city_admin, package, django_capture_on_commit_callbacks)
    package.refresh_from_db()
    assert again == {"already_pushed": True}
    assert Notification.objects.count() == before
    assert package.notified_members == len(expected) and package.pushed_at is not None


def test_a_resumed_push_notifies_nobody_twice(world, made, clock):
    package, _articles, _quiz = made
    packages.push(package.pk)
    before = Notification.objects.count()
    packages.push(package.pk)
    assert Notification.objects.count() == before


def test_a_draft_package_is_not_pushed(world, clock):
    first = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month=MONTH,
        title="草稿套餐",
        articles=[first],
        quiz=quiz(world, draws=[(cat, 1, 1)]),
    )
    assert package.status == PackageStatus.DRAFT
    with pytest.raises(DomainError) as caught:
        packages.push_package(actor=world.city_admin, package=package)
    assert caught.value.code == "package_not_published"


def test_a_county_cannot_publish_the_month_package_but_may_add_to_it(world, made, clock):
    package, _articles, _quiz = made
    extra = published(world, county=world.a, title="汉台区补充学习")
    with pytest.raises(DomainError) as caught:
        packages.create_package(
            actor=world.a.admin, org=world.a.org, month=MONTH, title="县区套餐", articles=[extra]
        )
    assert caught.value.code == "invalid_org"
    addon = packages.create_package(
        actor=world.a.admin,
        org=world.a.org,
        month=MONTH,
        title="汉台区补充",
        articles=[extra],
        parent=package,
    )
    assert addon.month == MONTH and addon.is_addon
    other = published(world, county=world.b, title="南郑区文章")
    with pytest.raises(DomainError) as caught:
        packages.create_package(
            actor=world.a.admin,
            org=world.a.org,
            month=MONTH,
            title="x",
            articles=[other],
            parent=package,
        )
    assert caught.value.code in ("not_in_scope", "package_exists")


def test_reading_everything_and_passing_completes_and_one_unread_does_not(world, made, clock):
    package, (first, second), test = made
    member, other = world.a.member, world.a.flowing
    for article in (first, second):
        read(member, article, clock)
    read(other, first, clock)
    take(member, test)
    take(other, test)
    mine = packages.member_progress(member, MONTH)
    assert [p.complete for p in mine] == [True]
    theirs = packages.member_progress(other, MONTH)[0]
    assert theirs.articles_read == 1 and theirs.quiz.passed and not theirs.complete


def test_a_failed_quiz_leaves_the_package_incomplete(world, made, clock):
    package, articles, test = made
    for article in articles:
        read(world.a.member, article, clock)
    take(world.a.member, test, right=False)
    progress = packages.member_progress(world.a.member, MONTH)[0]
    assert progress.articles_read == 2 and not progress.quiz.passed and not progress.complete


def test_completion_per_branch_and_county_counts_the_members_in_scope_only(world, made, clock):
    package, articles, test = made
    for article in articles:
        read(world.a.member, article, clock)
        read(world.b.member, article, clock)
    take(world.a.member, test)
    take(world.b.member, test)
    # The county's add-on asks more of its members: b's member is done, a's is not yet.
    extra = published(world, county=world.a, title="汉台区补充学习")
    addon = packages.create_package(
        actor=world.a.admin,
        org=world.a.org,
        month=MONTH,
        title="汉台区补充",
        articles=[extra],
        parent=package,
    )
    packages.publish_package(actor=world.a.admin, package=addon)
    rows = {r.branch_id: r for r in packages.completion_by_branch(MONTH, world.city)}
    a_row, b_row = rows[world.a.branch.pk], rows[world.b.branch.pk]
    assert (a_row.members, a_row.complete) == (3, 0)
    assert (b_row.members, b_row.complete) == (3, 1)
    assert a_row.county == world.a.org.name and a_row.town == world.a.town.name
    read(world.a.member, extra, clock)
    rows = {r.branch_id: r for r in packages.completion_by_branch(MONTH, world.city)}
    assert rows[world.a.branch.pk].complete == 1
    counties = {g["name"]: g for g in packages.completion_grouped(list(rows.values()), "county")}
    assert counties[world.a.org.name]["complete"] == 1
    assert counties[world.a.org.name]["members"] == 3
    # The outsider belongs to no branch: counted nowhere, sees no package.
    assert sum(r.members for r in rows.values()) == 6
    assert list(packages.packages_for(world.outsider)) == []
    only_b = packages.completion_by_branch(MONTH, world.b.org)
    assert {r.branch_id for r in only_b} == {world.b.branch.pk, world.b.other_branch.pk}


def test_the_share_of_a_branch_is_none_without_a_package(world, clock):
    assert packages.branch_completion_share(world.a.branch, MONTH) is None


def test_completion_takes_the_same_queries_for_more_branches_and_members(world, made, clock):
    package, articles, test = made
    read(world.a.member, articles[0], clock)
    take(world.a.member, test)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            packages.completion_by_branch(MONTH, world.city)
        return len(ctx.captured_queries)

    few = count()
    for i in range(3):
        extra = make_member(world.city_admin, world.b.other_branch, name=f"新党员{i}")
        read(extra, articles[0], clock)
        take(extra, test)
    assert count() == few

    def progress() -> int:
        with CaptureQueriesContext(connection) as ctx:
            packages.member_progress(world.a.member, MONTH)
        return len(ctx.captured_queries)

    assert progress() <= 5


def test_the_package_is_attached_to_the_month_campaign(world, clock):
    from dangjian.themedays import services as themedays

    campaign = themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        theme="学习全会精神",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    first = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month=MONTH,
        title="十二月学习套餐",
        articles=[first],
        quiz=quiz(world, draws=[(cat, 1, 1)]),
    )
    assert package.campaign_id == campaign.pk
    assert NOW + timedelta(days=1)  # the quiz is open through the test's clock


def test_the_scheduled_job_finishes_a_push_whose_task_was_lost(world, made, clock):
    from django.utils.module_loading import import_string

    from dangjian.core.scheduling import JOBS

    package, _articles, _quiz = made
    # Requested (the task never ran: the test transaction does not commit).
    packages.push_package(actor=world.city_admin, package=package)
    assert not Notification.objects.filter(dedupe_key=package.dedupe_key).exists()
    clock.shift(11 * 60)
    assert import_string(JOBS["resume-package-pushes"][0])() == 1
    assert Notification.objects.filter(dedupe_key=package.dedupe_key).count() == 6
    assert import_string(JOBS["resume-package-pushes"][0])() == 0


def test_the_phone_learning_page_shows_the_month_package_with_progress(world, made, clock, page):
    package, (first, second), test = made
    read(world.a.member, first, clock)
    html = page(world.a.member.user).get("/m/learning/").content.decode()
    assert package.title in html and "必学文章 已学 1/2" in html and "测试未通过" in html
    assert f"/m/learning/articles/{second.pk}/" in html and f"/m/quizzes/{test.pk}/" in html
    other = page(world.outsider).get("/m/learning/")
    assert package.title not in other.content.decode()
