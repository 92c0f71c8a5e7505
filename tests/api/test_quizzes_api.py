"""Quizzes over the API: the bank (questions with versions, XLSX import and export), a quiz
refused when its draw exceeds the bank, and an attempt on the server's clock — started with
its questions and no answers, saved and submitted one second inside the deadline and
refused one second outside, reviewed by the quiz's policy. The outsider, who belongs to
nothing, is refused in each."""

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from dangjian.learning.models import Attempt, Question, QuestionCategory
from tests.learning.articles import NOW
from tests.learning.quizzes import bank, category, quiz, single, true_false

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def put(client, path, data):
    return client._call("put", path, data)


def _outsider_refused(world, api, method, path, data=None):
    client = api(world.outsider)
    answer = put(client, path, data) if method == "put" else getattr(client, method)(path, data)
    assert answer.status_code == 404, answer.content


def test_an_admin_writes_a_question_and_an_edit_after_an_attempt_makes_a_version(world, api, clock):
    cat = category(world)
    admin = api(world.city_admin)
    answer = admin.post(
        "/questions",
        {
            "category_id": cat.pk,
            "kind": "multiple",
            "stem": "“两个维护”是？",
            "options": ["维护核心地位", "维护集中统一领导", "维护市场秩序"],
            "correct": ["A", "B"],
            "partial_credit": True,
        },
    )
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["version"] == 1 and created["options"][2] == {"key": "C", "text": "维护市场秩序"}
    bad = admin.post(
        "/questions",
        {
            "category_id": cat.pk,
            "kind": "single",
            "stem": "题",
            "options": ["甲"],
            "correct": ["A"],
        },
    )
    assert bad.status_code == 422 and bad.json()["field"] == "options"

    made = quiz(world, questions=[(Question.objects.get(pk=created["id"]), 1)])
    started = api(world.a.member.user).post(f"/quizzes/{made.pk}/attempts")
    assert started.status_code == 201
    path = f"/questions/{created['id']}"
    edited = admin.patch(path, {"stem": "“两个维护”指的是？"}, content_type="application/json")
    assert edited.status_code == 200 and edited.json()["version"] == 2
    review = api(world.a.member.user).get(f"/attempts/{started.json()['id']}").json()
    assert review["questions"][0]["stem"] == "“两个维护”是？"

    assert api(world.a.admin).get(path).status_code == 404  # the city's bank, not the county's
    _outsider_refused(world, api, "get", path)
    _outsider_refused(world, api, "patch", path, {"stem": "改"})


def test_a_quiz_whose_draw_exceeds_its_category_is_refused(world, api, clock):
    cat, _questions = bank(world, n=2)
    body = {
        "org_id": world.city.pk,
        "title": "月度测试",
        "closes_at": (NOW + timedelta(days=1)).isoformat(),
        "time_limit_seconds": 600,
        "draw": [{"category_id": cat.pk, "count": 3}],
    }
    answer = api(world.city_admin).post("/quizzes", body)
    assert answer.status_code == 422
    assert answer.json()["code"] == "draw_exceeds_bank" and answer.json()["available"] == 2
    body["draw"][0]["count"] = 2
    answer = api(world.city_admin).post("/quizzes", body)
    assert answer.status_code == 201, answer.content
    assert answer.json()["draw"] == [{"category_id": cat.pk, "count": 2, "points": 1}]
    assert api(world.outsider).post("/quizzes", body).status_code == 404


def _take(world, api, **terms):
    cat = category(world)
    one, two = single(world, cat), true_false(world, cat)
    made = quiz(world, questions=[(one, 1), (two, 1)], **terms)
    client = api(world.a.member.user)
    started = client.post(f"/quizzes/{made.pk}/attempts")
    assert started.status_code == 201, started.content
    return made, client, started.json(), one, two


def test_an_attempt_starts_with_its_questions_and_no_answers(world, api, clock):
    made, client, attempt, one, _two = _take(world, api)
    assert _at(attempt["deadline"]) == NOW + timedelta(minutes=30)
    first = attempt["questions"][0]
    assert first["question_id"] == one.pk and first["version"] == 0
    assert {o["text"] for o in first["options"]} == {"全心全意为人民服务", "发展经济", "加强纪律"}
    assert all(q["correct"] is None and q["truth"] is None for q in attempt["questions"])
    again = client.post(f"/quizzes/{made.pk}/attempts")
    assert again.status_code == 200 and again.json()["id"] == attempt["id"]
    answer = api(world.a.admin).post(f"/quizzes/{made.pk}/attempts")
    assert answer.status_code == 403 and answer.json()["code"] == "not_in_scope"
    _outsider_refused(world, api, "post", f"/quizzes/{made.pk}/attempts")
    _outsider_refused(world, api, "get", f"/attempts/{attempt['id']}")


def test_a_save_and_a_submission_one_second_inside_the_deadline_are_taken(world, api, clock):
    _made, client, attempt, one, two = _take(world, api)
    deadline = NOW + timedelta(minutes=30)
    path = f"/attempts/{attempt['id']}"
    clock.move_to(deadline - timedelta(seconds=1))
    saved = put(client, f"{path}/answers/{one.pk}", {"answer": "A", "version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 1
    replay = put(client, f"{path}/answers/{one.pk}", {"answer": "A", "version": 1})
    assert replay.status_code == 200 and replay.json()["saved_at"] == saved.json()["saved_at"]
    stale = put(client, f"{path}/answers/{one.pk}", {"answer": "B", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_answer"
    _outsider_refused(world, api, "put", f"{path}/answers/{one.pk}", {"answer": "B", "version": 2})
    _outsider_refused(world, api, "post", f"{path}/submit")

    done = client.post(f"{path}/submit")
    assert done.status_code == 200, done.content
    review = done.json()
    assert review["ended_by"] == "submitted" and review["grade"] == "50.00"
    assert review["answers_shown"] and review["questions"][1]["truth"] is True
    again = client.post(f"{path}/submit")
    assert again.status_code == 409 and again.json()["code"] == "attempt_finished"


def test_a_save_and_a_submission_one_second_outside_the_deadline_are_refused(world, api, clock):
    _made, client, attempt, one, two = _take(world, api)
    deadline = NOW + timedelta(minutes=30)
    path = f"/attempts/{attempt['id']}"
    put(client, f"{path}/answers/{one.pk}", {"answer": "A", "version": 1})
    clock.move_to(deadline + timedelta(seconds=1))
    late = put(client, f"{path}/answers/{two.pk}", {"answer": True, "version": 1})
    assert late.status_code == 409 and late.json()["code"] == "deadline_passed"
    submit = client.post(f"{path}/submit")
    assert submit.status_code == 409 and submit.json()["code"] == "attempt_finished"
    review = client.get(path).json()
    assert review["ended_by"] == "deadline" and _at(review["finished_at"]) == deadline
    assert review["grade"] == "50.00" and review["questions"][1]["answer"] is None
    _outsider_refused(world, api, "get", path)


def test_a_submission_one_second_late_finishes_with_what_was_saved(world, api, clock):
    _made, client, attempt, one, _two = _take(world, api)
    path = f"/attempts/{attempt['id']}"
    put(client, f"{path}/answers/{one.pk}", {"answer": "A", "version": 1})
    clock.move_to(NOW + timedelta(minutes=30, seconds=1))
    late = client.post(f"{path}/submit")
    assert late.status_code == 409 and late.json()["code"] == "deadline_passed"
    finished = Attempt.objects.get(pk=attempt["id"])
    assert finished.ended_by == "deadline" and str(finished.grade) == "50.00"


def test_answers_after_the_close_keep_the_correct_answers_back_until_then(world, api, clock):
    _made, client, attempt, one, _two = _take(world, api, review_policy="after_close")
    path = f"/attempts/{attempt['id']}"
    done = client.post(f"{path}/submit").json()
    assert done["grade"] == "0.00" and not done["answers_shown"]
    assert done["questions"][0]["correct"] is None
    clock.move_to(NOW + timedelta(days=1))
    shown = client.get(path).json()
    assert shown["answers_shown"] and shown["questions"][0]["correct"] == ["A"]
    assert api(world.city_admin).get(path).json()["answers_shown"]
    _outsider_refused(world, api, "get", path)


def test_the_bank_is_imported_all_or_nothing_and_exported_in_the_same_columns(world, api, clock):
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["分类", "题型", "题干", "选项A", "选项B", "选项C", "答案", "部分得分"])
    ws.append(["党史", "单选", "中国共产党成立于哪一年？", "1921", "1949", "", "A", ""])
    ws.append(["党史", "判断", "遵义会议召开于1935年。", "", "", "", "对", ""])
    ws.append(["党章", "多选", "党的纪律包括？", "政治纪律", "组织纪律", "廉洁纪律", "AB", "是"])
    ws.append(["党章", "填空", "党的最高理想是实现____。", "", "", "", "共产主义|共产主义社会", ""])
    ws.append(["党章", "单选", "缺答案的题", "甲", "乙", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)

    def upload(data):
        return api(world.city_admin).post(
            "/questions/import",
            {"org_id": world.city.pk, "file": SimpleUploadedFile("bank.xlsx", data)},
            content_type=MULTIPART_CONTENT,
        )

    bad = upload(buf.getvalue())
    assert bad.status_code == 422 and bad.json()["code"] == "import_invalid"
    assert bad.json()["errors"][0]["row"] == 6
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()

    ws.delete_rows(6)
    buf = io.BytesIO()
    wb.save(buf)
    good = upload(buf.getvalue())
    assert good.status_code == 200 and good.json() == {"created": 4}
    assert set(QuestionCategory.objects.values_list("name", flat=True)) == {"党史", "党章"}

    exported = api(world.city_admin).get(f"/questions/export?org_id={world.city.pk}")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert len(rows) == 5 and ("对" in rows[1] or "对" in rows[2])
    template = api(world.city_admin).get("/questions/import/template")
    assert template.status_code == 200
    outsider = api(world.outsider).post(
        "/questions/import",
        {"org_id": world.city.pk, "file": SimpleUploadedFile("bank.xlsx", buf.getvalue())},
        content_type=MULTIPART_CONTENT,
    )
    assert outsider.status_code == 404
    _outsider_refused(world, api, "get", f"/questions/export?org_id={world.city.pk}")


def test_a_member_lists_the_quizzes_reaching_them_with_their_standing(world, api, clock):
    made, client, attempt, one, _two = _take(world, api, attempts_allowed=2)
    county = quiz(world, questions=[(one, 1)], org=world.b.org)
    put(client, f"/attempts/{attempt['id']}/answers/{one.pk}", {"answer": "A", "version": 1})
    client.post(f"/attempts/{attempt['id']}/submit")
    mine = client.get("/me/quizzes").json()
    assert [m["quiz"]["id"] for m in mine] == [made.pk]
    assert mine[0] | {"quiz": None} == {
        "quiz": None,
        "attempts": [attempt["id"]],
        "in_progress": None,
        "grade": "50.00",
        "passed": False,
        "attempts_left": 1,
    }
    assert api(world.b.member.user).get("/me/quizzes").json()[0]["quiz"]["id"] == county.pk
    answer = api(world.outsider).get("/me/quizzes")
    assert answer.status_code == 403 and answer.json()["code"] == "not_in_scope"


def test_a_quiz_time_without_a_zone_is_beijing_time_and_one_out_of_range_is_refused(
    world, api, clock
):
    body = {"org_id": world.city.pk, "title": "测试", "opens_at": "2026-12-01T08:00:00"}
    answer = api(world.city_admin).post("/quizzes", {**body, "closes_at": "2026-12-02T08:00:00"})
    assert answer.status_code == 201, answer.content
    assert _at(answer.json()["opens_at"]) == NOW - timedelta(hours=1)
    answer = api(world.city_admin).post("/quizzes", {**body, "closes_at": "0001-01-01T00:00:00"})
    assert answer.status_code == 422 and answer.json()["field"] == "closes_at"
    assert api(world.outsider).post("/quizzes", body).status_code == 404


def test_a_patch_leaves_out_what_it_sets_to_null_unless_it_may_be_cleared(world, api, clock):
    cat, _questions = bank(world, n=3)
    made = quiz(world, draws=[(cat, 1, 1)], publish=False, attempts_allowed=2)
    path = f"/quizzes/{made.pk}"
    answer = api(world.city_admin).patch(
        path,
        {
            "shuffle_options": None,
            "title": None,
            "attempts_allowed": None,
            "draw": [{"category_id": cat.pk, "count": 2}],
        },
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    changed = answer.json()
    assert changed["shuffle_options"] is True and changed["title"] == made.title
    assert changed["attempts_allowed"] is None
    assert changed["draw"] == [{"category_id": cat.pk, "count": 2, "points": 1}]
    _outsider_refused(world, api, "patch", path, {"title": "改"})
