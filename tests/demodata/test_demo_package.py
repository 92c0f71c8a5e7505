"""The demo's study package: this month's, published with the city's articles and a quiz
drawn from a small bank, on the demo member's progress, seeded once."""

import io

import pytest
from django.core.management import call_command

from dangjian.core import clock
from dangjian.learning import packages
from dangjian.learning.models import PackageStatus, QuizStatus, StudyPackage
from dangjian.registry.models import Member

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed", "--scale", "demo", "--no-members", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_published_package_for_this_month_with_articles_and_a_quiz(db):
    assert "study package published" in _seed()
    package = StudyPackage.objects.get(month=clock.today().replace(day=1))
    assert package.status == PackageStatus.PUBLISHED
    assert package.quiz.status == QuizStatus.PUBLISHED
    assert package.items.count() == 3
    member = Member.objects.get(user__phone="13900000004")
    progress = packages.member_progress(member)
    assert [(p.package.pk, p.articles_read, p.complete) for p in progress] == [
        (package.pk, 0, False)
    ]


def test_seeding_again_makes_no_second_package(db):
    _seed()
    before = StudyPackage.objects.count()
    assert "study package published" not in _seed()
    assert StudyPackage.objects.count() == before
    assert StudyPackage.objects.filter(month=clock.today().replace(day=1)).count() == 1
