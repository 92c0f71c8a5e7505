"""The quiz endpoints a month's members all call at once: starting an attempt, saving an
answer and reading the attempt cost the same number of queries for a paper of 2 questions
as for 12."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.learning.articles import NOW
from tests.learning.quizzes import bank, quiz

pytestmark = pytest.mark.django_db


def queries(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        answer = fn()
    return len(ctx.captured_queries), answer


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _costs(world, api, member, size: int) -> tuple[int, int, int]:
    cat, _questions = bank(world, n=size, name=f"分类{size}")
    made = quiz(world, draws=[(cat, size, 1)])
    client = api(member.user)
    start, answer = queries(lambda: client.post(f"/quizzes/{made.pk}/attempts"))
    assert answer.status_code == 201
    attempt = answer.json()
    first = attempt["questions"][0]["question_id"]
    save, answer = queries(
        lambda: client._call(
            "put",
            f"/attempts/{attempt['id']}/answers/{first}",
            {"answer": True, "version": 1},
        )
    )
    assert answer.status_code == 200
    read, answer = queries(lambda: client.get(f"/attempts/{attempt['id']}"))
    assert len(answer.json()["questions"]) == size
    return start, save, read


def test_starting_saving_and_reading_cost_the_same_for_2_or_12_questions(world, api):
    small = _costs(world, api, world.a.member, 2)
    large = _costs(world, api, world.b.member, 12)
    assert small == large
