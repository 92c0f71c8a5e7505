"""Quizzes in the back office: the question bank (a question written, edited after an
attempt into a new version shown beside the old, imported from XLSX with the rows at fault
listed and nothing imported, exported), a quiz set and published, and its results page and
export, in queries that do not grow with the attempts; none of it for the outsider."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from dangjian.learning import quiz_services
from dangjian.learning.models import Question, QuestionCategory, Quiz, QuizStatus
from tests.learning.articles import NOW
from tests.learning.quizzes import category, quiz, single, true_false

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def test_an_admin_writes_a_question_and_an_edit_after_an_attempt_shows_two_versions(
    world, page, clock
):
    admin = page(world.city_admin)
    answer = admin.post(
        f"/console/orgs/{world.city.pk}/question-categories/new/", {"name": "党章党规"}
    )
    assert answer.status_code == 302
    cat = QuestionCategory.objects.get()
    form = {
        "kind": "single",
        "stem": "党的根本宗旨是？",
        "options": "全心全意为人民服务\n发展经济",
        "correct": "A",
        "explanation": "",
    }
    bad = admin.post(
        f"/console/learning/categories/{cat.pk}/questions/new/", {**form, "correct": "D"}
    )
    assert bad.status_code == 200 and "正确答案应为选项中的字母" in bad.content.decode()
    made = admin.post(f"/console/learning/categories/{cat.pk}/questions/new/", form)
    question = Question.objects.get()
    assert made.url == f"/console/learning/questions/{question.pk}/"
    assert question.current.stem in admin.get("/console/learning/questions/").content.decode()

    _take(world.a.member, quiz(world, questions=[(question, 1)]), [(question, "A")])
    edited = admin.post(made.url, {**form, "stem": "党的根本宗旨是什么？"})
    assert edited.status_code == 302
    html = admin.get(made.url).content.decode()
    assert "v1" in html and "v2" in html and "党的根本宗旨是？" in html
    assert page(world.a.admin).get(made.url).status_code == 404
    assert page(world.outsider).get(made.url).status_code in (302, 403, 404)


def _bank_file(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "分类",
            "题型",
            "题干",
            "选项A",
            "选项B",
            "选项C",
            "选项D",
            "选项E",
            "选项F",
            "答案",
            "部分得分",
            "解析",
        ]
    )
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("题库.xlsx", buf.getvalue(), XLSX)


def test_a_bank_import_with_a_bad_row_lists_it_and_imports_nothing(world, page, clock):
    admin = page(world.city_admin)
    url = f"/console/orgs/{world.city.pk}/questions/import/"
    good = ["党章党规", "判断", "党员应按期缴纳党费。", "", "", "", "", "", "", "对", "", ""]
    bad = ["党章党规", "单选", "题干", "甲", "乙", "", "", "", "", "Z", "", ""]
    html = admin.post(url, {"file": _bank_file([good, bad])}).content.decode()
    assert "第3行" in html and "未导入任何数据" in html
    assert not Question.objects.exists()
    html = admin.post(url, {"file": _bank_file([good])}).content.decode()
    assert "新增试题1道" in html and Question.objects.count() == 1
    template = admin.get("/console/learning/questions/template/")
    assert template.status_code == 200 and template["Content-Type"] == XLSX
    export = admin.get(f"/console/orgs/{world.city.pk}/questions/export/")
    assert export["Cache-Control"] == template["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][2] == "党员应按期缴纳党费。"
    assert page(world.a.admin).post(url, {"file": _bank_file([good])}).status_code in (403, 404)


def test_an_admin_sets_a_quiz_with_a_draw_and_publishes_it(world, page, clock):
    cat = category(world)
    one = single(world, cat)
    true_false(world, cat)
    admin = page(world.city_admin)
    form = {
        "title": "十二月学习测试",
        "opens_at": "2026-12-01T08:00",
        "closes_at": "2026-12-02T08:00",
        "time_limit": "20",
        "grading_method": "highest",
        "pass_mark": "60",
        "shuffle_options": "on",
        "review_policy": "after_submission",
        "points": "5",
        "questions": [one.pk],
        f"draw_{cat.pk}": "3",
    }
    refused = admin.post(f"/console/orgs/{world.city.pk}/quizzes/new/", form)
    assert refused.status_code == 200 and not Quiz.objects.exists()
    form[f"draw_{cat.pk}"] = "1"
    made = admin.post(f"/console/orgs/{world.city.pk}/quizzes/new/", form)
    assert made.status_code == 302, made.content.decode()[:3000]
    created = Quiz.objects.get()
    assert created.time_limit == timedelta(minutes=20) and created.status == QuizStatus.DRAFT
    assert admin.post(f"/console/learning/quizzes/{created.pk}/publish/").status_code == 302
    created.refresh_from_db()
    assert created.status == QuizStatus.PUBLISHED
    assert created.title in admin.get("/console/learning/quizzes/").content.decode()
    edit = admin.get(f"/console/learning/quizzes/{created.pk}/edit/").content.decode()
    assert 'value="20"' in edit


def test_the_results_page_shows_groups_questions_and_members(world, page, clock):
    cat = category(world)
    one, two = single(world, cat), true_false(world, cat)
    made = quiz(world, questions=[(one, 1), (two, 1)])
    _take(world.a.member, made, [(one, "A"), (two, True)])
    _take(world.b.member, made, [(one, "B"), (two, True)])
    admin = page(world.city_admin)
    url = f"/console/learning/quizzes/{made.pk}/results/"
    html = admin.get(url).content.decode()
    assert "汉台区" in html and "南郑区" in html and "汉台区党员" in html
    assert "100.00" in html and "50.00%" in html
    export = admin.get(url + "export/")
    assert export["Cache-Control"] == "no-store"
    assert "成员成绩" in load_workbook(io.BytesIO(export.content)).sheetnames
    history = admin.get(f"/console/members/{world.a.member.pk}/quizzes/").content.decode()
    assert made.title in history
    assert page(world.a.admin).get(url).status_code == 404
    assert page(world.outsider).get(url).status_code in (302, 403, 404)


def test_the_results_page_takes_the_same_queries_for_more_attempts(world, page, clock):
    cat = category(world)
    one, two = single(world, cat), true_false(world, cat)
    made = quiz(world, questions=[(one, 1), (two, 1)])
    _take(world.a.member, made, [(one, "A"), (two, True)])
    admin = page(world.city_admin)
    url = f"/console/learning/quizzes/{made.pk}/results/"
    admin.get(url)
    with CaptureQueriesContext(connection) as few:
        assert admin.get(url).status_code == 200
    for member in (world.b.member, world.a.flowing, world.b.flowing):
        _take(member, made, [(one, "B"), (two, False)])
    with CaptureQueriesContext(connection) as more:
        assert admin.get(url).status_code == 200
    assert len(more) == len(few)
