"""A quiz's results over the API and as XLSX: grades per member by the grading method,
participation and pass rate per county, branch and sector, each question's facility, in a
number of queries that does not grow with the attempts; the results are its admins' only."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dangjian.learning import quiz_results, quiz_services
from dangjian.learning.models import Attempt
from dangjian.registry.models import Member
from tests.learning.articles import NOW
from tests.learning.quizzes import category, quiz, single, true_false

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _take(member, made, answers):
    attempt, _new = quiz_services.start_attempt(member=member, quiz=made)
    for question, answer in answers:
        quiz_services.save_answer(
            member=member, attempt=attempt, question_id=question.pk, answer=answer, version=1
        )
    return quiz_services.submit_attempt(member=member, attempt=attempt)


def _quiz_taken(world):
    cat = category(world)
    one, two = single(world, cat), true_false(world, cat)
    made = quiz(world, questions=[(one, 1), (two, 1)])
    _take(world.a.member, made, [(one, "A"), (two, True)])  # 100
    _take(world.b.member, made, [(one, "B"), (two, True)])  # 50
    return made, one, two


def test_the_results_give_each_group_and_question_its_figures(world, api, clock):
    made, one, two = _quiz_taken(world)
    answer = api(world.city_admin).get(f"/quizzes/{made.pk}/results")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    overall = body["overall"]
    everyone = Member.objects.active().count()
    assert (overall["members"], overall["took"], overall["passed"]) == (everyone, 2, 1)
    assert overall["pass_rate"] == "50.00" or float(overall["pass_rate"]) == 50
    counties = {g["name"]: g for g in body["by_county"]}
    assert counties["汉台区"]["passed"] == 1 and counties["南郑区"]["passed"] == 0
    in_a = Member.objects.active().filter(branch__path__startswith=world.a.org.path).count()
    assert counties["汉台区"]["members"] == in_a and counties["汉台区"]["took"] == 1
    facility = {q["question_id"]: float(q["facility"]) for q in body["questions"]}
    assert facility == {one.pk: 50.0, two.pk: 100.0}
    assert sum(b["count"] for b in body["distribution"]) == 2
    grades = {m["name"]: m["grade"] for m in body["members"]}
    assert float(grades["汉台区党员"]) == 100 and grades["汉台区流动党员"] is None


def test_the_results_are_refused_to_all_but_the_quizs_admins(world, api, clock):
    made, _one, _two = _quiz_taken(world)
    for user in (world.a.admin, world.a.member.user, world.outsider):
        assert api(user).get(f"/quizzes/{made.pk}/results").status_code == 404
        assert api(user).get(f"/quizzes/{made.pk}/results/export").status_code == 404


def test_the_export_is_a_workbook_of_groups_questions_and_members(world, api, clock):
    made, _one, _two = _quiz_taken(world)
    answer = api(world.city_admin).get(f"/quizzes/{made.pk}/results/export")
    assert answer.status_code == 200
    wb = load_workbook(io.BytesIO(answer.content))
    assert wb.sheetnames == ["按县区", "按支部", "按领域", "试题分析", "成员成绩"]
    names = [row[0] for row in wb["成员成绩"].iter_rows(min_row=2, values_only=True)]
    assert "汉台区党员" in names and "南郑区党员" in names


def test_reading_the_results_takes_the_same_queries_for_more_attempts(world, clock):
    made, one, two = _quiz_taken(world)
    with CaptureQueriesContext(connection) as few:
        quiz_results.quiz_results(made)
    clock.shift(timedelta(minutes=1))
    _take(world.a.flowing, made, [(one, "A"), (two, False)])
    _take(world.b.flowing, made, [(one, "A"), (two, True)])
    assert Attempt.objects.filter(quiz=made).count() == 4
    with CaptureQueriesContext(connection) as more:
        quiz_results.quiz_results(made)
    assert len(more) == len(few) == 5
