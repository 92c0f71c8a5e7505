"""The demo's year of learning (issue 22, point 1): every month of the year has the city's
study package, published and pushed on its first day with three articles of its own and
its quiz; the members' readings and attempts are there as the services leave them, with
good, average and struggling branches; the console's completion and results pages show
them. One demo seeded for the whole module, on 8 December 2026 (as test_demo_history)."""

from datetime import date
from statistics import median

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils.timezone import localdate

from dangjian.learning import grading, packages
from dangjian.learning.models import (
    ArticleStatus,
    Attempt,
    AttemptAnswer,
    PackageStatus,
    QuizStatus,
    Reading,
    StudyPackage,
)
from dangjian.learning.quiz_bank import question_spec
from dangjian.registry.models import Member, Organization, User
from dangjian.scoring.formula import round_half_up
from tests.demodata.conftest import NOW

YEAR = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)]
LAST_MONTH = date(2026, 11, 1)


pytestmark = pytest.mark.django_db


def _package(city: Organization, month: date) -> StudyPackage:
    return StudyPackage.objects.get(org=city, month=month, parent__isnull=True)


def test_every_month_of_the_year_has_the_citys_package_published_and_pushed_on_its_first_day(
    city,
):
    titles = set()
    for month in YEAR:
        package = _package(city, month)
        assert package.status == PackageStatus.PUBLISHED
        assert localdate(package.published_at) == month
        assert localdate(package.push_requested_at) == month
        assert package.campaign is not None and package.campaign.month == month
        quiz = package.quiz
        assert quiz.status == QuizStatus.PUBLISHED
        assert localdate(quiz.opens_at) == month and quiz.draw_rules.count() == 2
        items = packages.package_items(package)
        assert len(items) == 3
        for item in items:
            assert item.article.status == ArticleStatus.PUBLISHED
            assert localdate(item.article.published_at) == month
            titles.add(item.article.title)
    assert len(titles) == 3 * len(YEAR)


def test_every_month_has_readings_and_one_attempt_per_member_who_took_the_quiz(city):
    members = Member.objects.in_subtree(city.path).filter(is_active=True).count()
    for month in YEAR:
        package = _package(city, month)
        articles = [i.article_id for i in package.items.all()]
        readings = Reading.objects.filter(article_id__in=articles)
        assert readings.filter(counted_at__isnull=False).count() > members, month
        assert not readings.filter(counted_at__gt=NOW).exists()
        attempts = Attempt.objects.filter(quiz=package.quiz)
        assert 0.5 * members < attempts.count() < members, month
        assert not attempts.filter(finished_at__isnull=True).exists()
        assert not attempts.filter(finished_at__gt=NOW).exists()
        assert not attempts.values("member_id").annotate(n=Count("id")).filter(n__gt=1).exists()
        passed = attempts.filter(passed=True).count()
        assert 0.8 * attempts.count() < passed < attempts.count(), month


def test_an_attempts_marks_are_what_marking_its_saved_answers_gives(city):
    quiz = _package(city, LAST_MONTH).quiz
    for attempt in Attempt.objects.filter(quiz=quiz).order_by("pk")[:200]:
        answers = list(
            AttemptAnswer.objects.filter(attempt=attempt)
            .select_related("question_version")
            .order_by("position")
        )
        assert [a.position for a in answers] == [1, 2, 3, 4, 5]
        specs = [question_spec(a.question_version, points=a.points) for a in answers]
        mark = grading.mark_attempt(specs, {a.question_id: a.answer for a in answers}, 60)
        assert (attempt.score, attempt.maximum) == (
            round_half_up(mark.score),
            round_half_up(mark.maximum),
        )
        assert (attempt.grade, attempt.passed) == (mark.grade, mark.passed)
        for answer, spec in zip(answers, specs, strict=True):
            assert answer.score == round_half_up(grading.grade_answer(spec, answer.answer))
            assert sorted(answer.option_order) == sorted(o["key"] for o in spec_options(answer))
            assert attempt.started_at <= answer.saved_at <= attempt.finished_at


def spec_options(answer: AttemptAnswer) -> list[dict]:
    return answer.question_version.options


def test_completion_reads_as_good_average_and_struggling_branches_every_month(city):
    for month in YEAR:
        rows = [r for r in packages.completion_by_branch(month, city) if r.members >= 10]
        shares = [r.percent for r in rows]
        overall = sum(r.complete for r in rows) / sum(r.members for r in rows)
        assert 0.55 <= overall <= 0.85, month
        assert max(shares) >= 90 and min(shares) <= 60, month
        assert 55 <= median(shares) <= 90, month
        assert all(40 <= s <= 100 for s in sorted(shares)[len(shares) // 10 :]), month


def test_the_demo_member_completed_every_month_of_the_year(city):
    member = Member.objects.get(user__phone="13900000004")
    for month in YEAR:
        [progress] = packages.member_progress(member, month)
        assert progress.complete, month


def test_the_city_admin_sees_completion_and_quiz_results_with_figures_and_a_member_does_not(
    city, client
):
    package = _package(city, LAST_MONTH)
    client.force_login(User.objects.get(phone="13900000001"))
    page = client.get(reverse("console:package_detail", args=[package.pk]))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert sum(r.members for r in rows) > 1000 and sum(r.complete for r in rows) > 700
    results = client.get(reverse("console:quiz_results", args=[package.quiz_id]))
    assert results.status_code == 200
    assert str(Attempt.objects.filter(quiz=package.quiz).count()) in results.content.decode()
    export = client.get(reverse("console:dashboard_ranking_export", args=[city.pk]))
    assert export.status_code == 200
    study = packages.completion_percent_by_org(
        LAST_MONTH, city, list(Organization.objects.get_children(city).values_list("pk", flat=True))
    )
    assert study and all(40 <= v <= 95 for v in study.values() if v is not None)

    client.force_login(User.objects.get(phone="13900000004"))
    assert client.get(reverse("console:package_detail", args=[package.pk])).status_code in (
        302,
        403,
        404,
    )
