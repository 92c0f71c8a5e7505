"""Quizzes' part of the permission matrix: role × object (a question of county a's bank, a
draft and a published quiz of county a, an attempt by one of its members) × action,
through the API. Out of scope answers as missing (404); readable but not to be acted on is
403; every refusal changes nothing. Each role's row is tried in one case
(permission_matrix.cases, by_row); the tables' rows are checked by
tests/permission_matrix/test_every_matrix.py."""

import pytest
import time_machine

from dangjian.learning import quiz_bank, quiz_services
from dangjian.learning.models import Attempt, AttemptAnswer, Question
from dangjian.learning.quiz_bank import QuestionContent
from tests.learning.articles import NOW
from tests.learning.test_permission_matrix import ROLES
from tests.permission_matrix.cases import A, Expect, F, L, N, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db

# The bank is kept by its organization's admins only; a published quiz is read by those it
# reaches and taken by its members (403 `not_in_scope` for an admin who reads it without
# being one: a member starts an attempt, 201, or is given the one they have, 200); an
# attempt is its member's to answer, read by the quiz's admins.
# fmt: off
API_MATRIX = [
    # role                  read   edit   read   read       start  read     save
    #                       quest. quest. draft  published  quiz   attempt  answer
    ("city_admin",          A,     A,     A,     A,         F,     A,       F),
    ("county_admin",        A,     A,     A,     A,         F,     A,       F),
    ("other_county_admin",  N,     N,     N,     N,         N,     N,       N),
    ("branch_admin",        N,     N,     N,     A,         A,     N,       N),
    ("member",              N,     N,     N,     A,         A,     A,       A),
    ("other_branch_member", N,     N,     N,     N,         N,     N,       N),
    ("outsider",            N,     N,     N,     N,         N,     N,       N),
    ("anonymous",           L,     L,     L,     L,         L,     L,       L),
]
# fmt: on
API_ACTIONS = (
    "read_question",
    "edit_question",
    "read_draft",
    "read_published",
    "start",
    "read_attempt",
    "save_answer",
)
FORBIDDEN_CODES = {"start": "not_in_scope"}


def _answered(resp, action: str, expect: Expect, allowed: int = 200) -> bool:
    """Through the API: an allowed action's status (`allowed`), or the refusal the table
    expects. Whether it was allowed."""
    if expect is Expect.ALLOW:
        assert resp.status_code == allowed, resp.content
        return True
    assert_refused(resp, "api", expect, forbidden_code=FORBIDDEN_CODES.get(action, ""))
    return False


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


@pytest.mark.parametrize(
    "role, answers", matrix_cases(API_MATRIX, API_ACTIONS, roles=ROLES, by_row=True)
)
def test_quiz_api_permission_matrix(world, objects, api, role, answers):
    actor = ROLES[role](world)
    client = api(actor)
    question, attempt, live = objects["question"], objects["attempt"], objects["live"]

    with time_machine.travel(NOW, tick=False):
        answer = client.get(f"/questions/{question.pk}")
        _answered(answer, "read_question", answers["read_question"])
        answer = client.patch(
            f"/questions/{question.pk}", {"stem": "改过的题干"}, content_type="application/json"
        )
        edited = _answered(answer, "edit_question", answers["edit_question"])
        current = Question.objects.select_related("current").get(pk=question.pk).current
        # Given in an attempt already: the edit is a new version, the attempt keeps its own.
        assert (current.stem, current.number) == (
            ("改过的题干", 2) if edited else ("党员应当按期交纳党费。", 1)
        )

        answer = client.get(f"/quizzes/{objects['draft'].pk}")
        _answered(answer, "read_draft", answers["read_draft"])
        answer = client.get(f"/quizzes/{live.pk}")
        _answered(answer, "read_published", answers["read_published"])
        before = Attempt.objects.count()
        had_one = (
            actor is not None and Attempt.objects.filter(quiz=live, member__user=actor).exists()
        )
        answer = client.post(f"/quizzes/{live.pk}/attempts")
        started = _answered(answer, "start", answers["start"], allowed=200 if had_one else 201)
        assert Attempt.objects.count() == before + (1 if started and not had_one else 0)

        answer = client.get(f"/attempts/{attempt.pk}")
        _answered(answer, "read_attempt", answers["read_attempt"])
        answer = client._call(
            "put",
            f"/attempts/{attempt.pk}/answers/{question.pk}",
            {"answer": True, "version": 1},
        )
        saved = _answered(answer, "save_answer", answers["save_answer"])
        assert AttemptAnswer.objects.get(attempt=attempt).version == (1 if saved else 0)


# Handing the attempt in: its member only; the quiz's admins, who read it, are forbidden.
# fmt: off
SUBMIT_MATRIX = [
    # role                  submit
    ("city_admin",          F),
    ("county_admin",        F),
    ("other_county_admin",  N),
    ("branch_admin",        N),
    ("member",              A),
    ("other_branch_member", N),
    ("outsider",            N),
    ("anonymous",           L),
]
# fmt: on
SUBMIT_ACTIONS = ("submit",)


@pytest.mark.parametrize(
    "role, answers", matrix_cases(SUBMIT_MATRIX, SUBMIT_ACTIONS, roles=ROLES, by_row=True)
)
def test_quiz_api_submission_permission_matrix(world, objects, api, role, answers):
    client = api(ROLES[role](world))
    attempt = objects["attempt"]
    with time_machine.travel(NOW, tick=False):
        answer = client.post(f"/attempts/{attempt.pk}/submit")
    submitted = _answered(answer, "submit", answers["submit"])
    finished = Attempt.objects.get(pk=attempt.pk).finished_at
    assert (finished is not None) == submitted
