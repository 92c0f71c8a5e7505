"""Benchmark: one-click push of the month's study package to the whole seeded city.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    .venv/bin/python bench/package_push.py

Makes (once) a package of the city's published articles and a quiz, then pushes it twice in
this process (as the Celery worker would) and prints the wall time, notices and peak memory
of each; the second push must notify nobody.
"""

import os
import resource
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
# The log channel would print one line a batch; measure the database work only.
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from dangjian.core import clock  # noqa: E402
from dangjian.learning import packages, quiz_bank, quiz_services, services  # noqa: E402
from dangjian.learning.models import Column, StudyPackage  # noqa: E402
from dangjian.learning.quiz_bank import QuestionContent  # noqa: E402
from dangjian.notifications.models import Notification  # noqa: E402
from dangjian.registry.models import Member, Organization, Role, RoleGrant, User  # noqa: E402


def _package(root: Organization, admin: User) -> StudyPackage:
    """A fresh package for a month no other run used (the bench database is reused)."""
    month = clock.today().replace(day=1)
    while StudyPackage.objects.filter(org=root, month=month, parent__isnull=True).exists():
        month = (month + timedelta(days=32)).replace(day=1)
    reviewer = (
        RoleGrant.objects.filter(org=root, role=Role.ADMIN)
        .exclude(user=admin)
        .select_related("user")
        .first()
    )
    if reviewer is None:
        from dangjian.registry import services as registry

        user = User.objects.create_user(phone="13900009990", name="基准审核员", password=None)
        reviewer = registry.grant_admin(actor=admin, org=root, user=user)
    stamp = time.strftime("%H:%M:%S")
    article = services.create_article(
        actor=admin,
        org=root,
        column=Column.objects.first(),
        title=f"基准测试文章 {stamp}",
        body="<p>学习贯彻党的二十届三中全会精神。</p>",
    )
    services.submit_article(actor=admin, article=article)
    services.publish_article(actor=reviewer.user, article=article)
    category = quiz_bank.create_category(actor=admin, org=root, name=f"基准 {stamp}")
    question = quiz_bank.create_question(
        actor=admin,
        category=category,
        content=QuestionContent(kind="true_false", stem="党员应当按期交纳党费。", truth=True),
    )
    quiz = quiz_services.create_quiz(
        actor=admin,
        org=root,
        title=f"基准测试 {stamp}",
        questions=[quiz_services.FixedQuestion(question, 1)],
    )
    quiz = quiz_services.publish_quiz(actor=admin, quiz=quiz)
    package = packages.create_package(
        actor=admin, org=root, month=month, title=f"基准 {stamp}", articles=[article], quiz=quiz
    )
    return packages.publish_package(actor=admin, package=package)


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    print(
        f"database: {connection.vendor}, city: {root.name}, "
        f"branches: {Organization.objects.filter(kind='branch').count()}, "
        f"members: {Member.objects.filter(is_active=True).count()}"
    )
    package = _package(root, admin)
    for label in ("first push", "second push"):
        started = time.perf_counter()
        result = packages.push_package(actor=admin, package=package)
        elapsed = time.perf_counter() - started
        package.refresh_from_db()
        print(
            f"{label}: {elapsed:.1f} s, already_pushed={result['already_pushed']}, "
            f"notices={package.notified_members}, "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    assert Notification.objects.filter(dedupe_key=package.dedupe_key).count() == (
        package.notified_members
    )
    started = time.perf_counter()
    rows = packages.completion_by_branch(package.month, root)
    print(
        f"completion table: {time.perf_counter() - started:.1f} s for {len(rows)} branches, "
        f"{sum(r.members for r in rows)} members"
    )


if __name__ == "__main__":
    main()
