"""Quizzes' part of the permission matrix: role × object (a question of county a's bank, a
draft and a published quiz of county a, an attempt by one of its members) × action,
through the API. Out of scope answers as missing (404); readable but not to be acted on is
403; every refusal changes nothing."""

import pytest
import time_machine

from dangjian.learning import quiz_bank, quiz_services
from dangjian.learning.models import Attempt, AttemptAnswer, Question
from dangjian.learning.quiz_bank import QuestionContent
from tests.learning.articles import NOW
from tests.learning.test_permission_matrix import ROLES

pytestmark = pytest.mark.django_db

# The bank is kept by its organization's admins only; a published quiz is read by those it
# reaches and taken by its members (403 `not_in_scope` for an admin who reads it without
# being one); an attempt is its member's to answer, read by the quiz's admins.
# fmt: off
API_MATRIX = {
    #                       read   edit     read   read       start  read     save
    #                       quest. quest.   draft  published  quiz   attempt  answer
    "city_admin":          (200,   200,     200,   200,       403,   200,     403),
    "county_admin":        (200,   200,     200,   200,       403,   200,     403),
    "other_county_admin":  (404,   404,     404,   404,       404,   404,     404),
    "branch_admin":        (404,   404,     404,   200,       201,   404,     404),
    "member":              (404,   404,     404,   200,       200,   200,     200),
    "other_branch_member": (404,   404,     404,   404,       404,   404,     404),
    "outsider":            (404,   404,     404,   404,       404,   404,     404),
    "anonymous":           (401,   401,     401,   401,       401,   401,     401),
}
# fmt: on


def test_the_matrix_covers_every_role():
    assert set(API_MATRIX) == set(ROLES)


@pytest.fixture
def objects(world):
    with time_machine.travel(NOW, tick=False):
        admin, org = world.a.admin, world.a.org
        category = quiz_bank.create_category(actor=admin, org=org, name="党章")
        question = quiz_bank.create_question(
            actor=admin,
            category=category,
            content=QuestionContent(kind="true_false", stem="党员应当按期交纳党费。", truth=True),
        )
        fixed = [quiz_services.FixedQuestion(question, 1)]
        draft = quiz_services.create_quiz(actor=admin, org=org, title="草稿", questions=fixed)
        live = quiz_services.create_quiz(actor=admin, org=org, title="已发布", questions=fixed)
        live = quiz_services.publish_quiz(actor=admin, quiz=live)
        attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=live)
        return {"question": question, "draft": draft, "live": live, "attempt": attempt}


@pytest.mark.parametrize("role", list(API_MATRIX))
def test_quiz_api_permission_matrix(world, objects, api, role):
    client = api(ROLES[role](world))
    read_q, edit_q, read_draft, read_live, start, read_attempt, save = API_MATRIX[role]
    question, attempt = objects["question"], objects["attempt"]

    with time_machine.travel(NOW, tick=False):
        assert client.get(f"/questions/{question.pk}").status_code == read_q
        answer = client.patch(
            f"/questions/{question.pk}", {"stem": "改过的题干"}, content_type="application/json"
        )
        assert answer.status_code == edit_q
        current = Question.objects.select_related("current").get(pk=question.pk).current
        # Given in an attempt already: the edit is a new version, the attempt keeps its own.
        assert (current.stem, current.number) == (
            ("改过的题干", 2) if edit_q == 200 else ("党员应当按期交纳党费。", 1)
        )

        assert client.get(f"/quizzes/{objects['draft'].pk}").status_code == read_draft
        assert client.get(f"/quizzes/{objects['live'].pk}").status_code == read_live
        before = Attempt.objects.count()
        answer = client.post(f"/quizzes/{objects['live'].pk}/attempts")
        assert answer.status_code == start
        if start == 403:
            assert answer.json()["code"] == "not_in_scope"
        assert Attempt.objects.count() == before + (1 if start == 201 else 0)

        assert client.get(f"/attempts/{attempt.pk}").status_code == read_attempt
        answer = client._call(
            "put",
            f"/attempts/{attempt.pk}/answers/{question.pk}",
            {"answer": True, "version": 1},
        )
        assert answer.status_code == save
        saved = AttemptAnswer.objects.get(attempt=attempt).version
        assert saved == (1 if save == 200 else 0)


# Handing the attempt in: its member only; the quiz's admins, who read it, are forbidden.
SUBMIT_MATRIX = {
    "city_admin": 403,
    "county_admin": 403,
    "other_county_admin": 404,
    "branch_admin": 404,
    "member": 200,
    "other_branch_member": 404,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", list(SUBMIT_MATRIX))
def test_quiz_api_submission_permission_matrix(world, objects, api, role):
    assert set(SUBMIT_MATRIX) == set(ROLES)
    client = api(ROLES[role](world))
    attempt = objects["attempt"]
    with time_machine.travel(NOW, tick=False):
        answer = client.post(f"/attempts/{attempt.pk}/submit")
    assert answer.status_code == SUBMIT_MATRIX[role]
    finished = Attempt.objects.get(pk=attempt.pk).finished_at
    assert (finished is not None) == (answer.status_code == 200)
