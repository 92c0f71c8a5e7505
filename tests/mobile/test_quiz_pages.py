"""The member's 学习测试 pages: the list, the terms, an attempt started, answered as the
member goes (a stale tab told so in Chinese), submitted and reviewed; another county's
member and the outsider are refused."""

import json
import re
from datetime import datetime, timedelta

import pytest
import time_machine

from dangjian.learning import quiz_bank
from dangjian.learning.models import Attempt
from tests.learning.articles import NOW
from tests.learning.quizzes import category, quiz, single, true_false

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _paper(world):
    cat = category(world)
    one, two = single(world, cat), true_false(world, cat)
    return quiz(world, questions=[(one, 1), (two, 1)], org=world.a.org), one, two


def _save(client, attempt, question, answer, version):
    return client.post(
        f"/m/attempts/{attempt.pk}/answers/{question.pk}/",
        json.dumps({"answer": answer, "version": version}),
        content_type="application/json",
    )


def test_a_member_starts_answers_submits_and_sees_the_result(world, page, clock):
    made, one, two = _paper(world)
    client = page(world.a.member.user)
    assert "/m/quizzes/" in client.get("/m/").content.decode()
    assert made.title in client.get("/m/quizzes/").content.decode()
    terms = client.get(f"/m/quizzes/{made.pk}/").content.decode()
    assert "开始答题" in terms and "1800 秒" in terms

    started = client.post(f"/m/quizzes/{made.pk}/start/")
    attempt = Attempt.objects.get(member=world.a.member)
    assert started.status_code == 302 and started.url == f"/m/attempts/{attempt.pk}/"
    html = client.get(started.url).content.decode()
    assert one.current.stem in html and two.current.stem in html
    assert f'data-deadline="{attempt.deadline.isoformat()}"' in html
    now = re.search(r'data-server-now="([^"]+)"', html).group(1)
    assert datetime.fromisoformat(now) == NOW

    saved = _save(client, attempt, one, "A", 1)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    assert _save(client, attempt, one, "A", 1).status_code == 200  # replayed: unchanged
    stale = _save(client, attempt, one, "B", 1)
    assert stale.status_code == 409 and "请刷新页面" in stale.json()["message"]
    assert _save(client, attempt, two, False, 1).status_code == 200

    clock.shift(timedelta(minutes=5))
    done = client.post(f"/m/attempts/{attempt.pk}/submit/")
    assert done.url == f"/m/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.grade == 50 and attempt.passed is False
    result = client.get(done.url).content.decode()
    assert "得分 50.00 分" in result and "未通过" in result and "正确答案" in result
    # A replayed submission changes nothing and lands on the result again.
    assert client.post(f"/m/attempts/{attempt.pk}/submit/").url == done.url
    assert client.get(f"/m/attempts/{attempt.pk}/").url == done.url
    assert _save(client, attempt, one, "B", 2).status_code == 409


def test_an_attempt_opened_after_its_deadline_is_finished_with_what_was_saved(world, page, clock):
    made, one, _two = _paper(world)
    client = page(world.a.member.user)
    client.post(f"/m/quizzes/{made.pk}/start/")
    attempt = Attempt.objects.get(member=world.a.member)
    _save(client, attempt, one, "A", 1)
    clock.shift(timedelta(minutes=30, seconds=1))
    late = _save(client, attempt, one, "B", 2)
    assert late.status_code == 409 and late.json()["code"] == "deadline_passed"
    assert client.get(f"/m/attempts/{attempt.pk}/").url == f"/m/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.ended_by == "deadline" and attempt.grade == 50


def test_a_quiz_is_refused_to_whom_it_does_not_reach(world, page, clock):
    made, one, _two = _paper(world)
    member = page(world.a.member.user)
    member.post(f"/m/quizzes/{made.pk}/start/")
    attempt = Attempt.objects.get(member=world.a.member)
    other = page(world.b.member.user)
    assert made.title not in other.get("/m/quizzes/").content.decode()
    assert other.get(f"/m/quizzes/{made.pk}/").status_code == 404
    assert other.post(f"/m/quizzes/{made.pk}/start/").status_code == 404
    assert other.get(f"/m/attempts/{attempt.pk}/").status_code == 404
    assert _save(other, attempt, one, "A", 1).status_code == 404
    assert other.post(f"/m/attempts/{attempt.pk}/submit/").status_code == 404
    assert other.get(f"/m/attempts/{attempt.pk}/result/").status_code == 404
    outsider = page(world.outsider)
    assert outsider.get(f"/m/quizzes/{made.pk}/").status_code in (200, 404)
    assert str(made.title) not in outsider.get(f"/m/quizzes/{made.pk}/").content.decode()
    assert not Attempt.objects.exclude(member=world.a.member).exists()


def test_choices_and_blanks_are_drawn_as_their_kind_and_saved_as_such(world, page, clock):
    from tests.learning.quizzes import multiple

    cat = category(world)
    many = multiple(world, cat, partial=True)
    blank = quiz_bank.create_question(
        actor=world.city_admin,
        category=cat,
        content=quiz_bank.QuestionContent(
            kind="fill_in", stem="党的宗旨是全心全意为____服务。", accepted=["人民"]
        ),
    )
    made = quiz(world, questions=[(many, 4), (blank, 1)])
    client = page(world.a.member.user)
    client.post(f"/m/quizzes/{made.pk}/start/")
    attempt = Attempt.objects.get(member=world.a.member)
    html = client.get(f"/m/attempts/{attempt.pk}/").content.decode()
    assert (
        f'type="checkbox" name="q{many.pk}"' in html and f'type="text" name="q{blank.pk}"' in html
    )
    assert _save(client, attempt, many, ["A", "B"], 1).json()["answer"] == ["A", "B"]
    assert _save(client, attempt, blank, "人民", 1).status_code == 200
    bad = _save(client, attempt, many, 7, 2)
    assert bad.status_code == 409 and bad.json()["message"]
    client.post(f"/m/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.score == 3  # half of 4 points for two keys of four, and the blank


def test_answers_wait_for_the_close_when_the_quiz_says_so(world, page, clock):
    cat = category(world)
    one = single(world, cat)
    made = quiz(world, questions=[(one, 1)], review_policy="after_close")
    client = page(world.a.member.user)
    client.post(f"/m/quizzes/{made.pk}/start/")
    attempt = Attempt.objects.get(member=world.a.member)
    _save(client, attempt, one, "B", 1)
    client.post(f"/m/attempts/{attempt.pk}/submit/")
    html = client.get(f"/m/attempts/{attempt.pk}/result/").content.decode()
    assert "正确答案将在测试结束后公布" in html and "正确答案：" not in html
    clock.shift(timedelta(days=1, seconds=1))
    html = client.get(f"/m/attempts/{attempt.pk}/result/").content.decode()
    assert "正确答案：" in html and "全心全意为人民服务" in html


def test_a_quiz_not_yet_open_says_so_and_starts_nothing(world, page, clock):
    cat = category(world)
    made = quiz(world, questions=[(single(world, cat), 1)], opens_at=NOW + timedelta(hours=1))
    client = page(world.a.member.user)
    answer = client.post(f"/m/quizzes/{made.pk}/start/", follow=True)
    assert answer.status_code == 200 and "alert error" in answer.content.decode()
    assert not Attempt.objects.exists()
