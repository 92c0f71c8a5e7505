"""The member's 学习测试 pages (issue 19, point 6): the quizzes that reach their branch,
a quiz's terms with its start button, the attempt (questions in their stored order, each
answer saved as it is chosen, a countdown to the server's deadline) and the result.

The server keeps the clock: the attempt page is given the deadline and the server's now,
and quiz.js only shows the difference and submits at zero. Saves carry the slot's version,
so a stale tab is told so rather than overwriting newer answers."""

import json

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pages import domain_errors
from dangjian.learning import quiz_selectors, quiz_services
from dangjian.mobile.decorators import member_view
from dangjian.permissions import Action

MAX_ANSWER_BYTES = 4096


def _reached(request, member, quiz_id):
    """A published quiz that reaches the member's branch; 404 for anything else."""
    quiz = permissions.access_quiz(request.user, quiz_id)
    if not permissions.quiz_reaches(quiz, member):
        raise permissions.not_found()
    return quiz


def _own_attempt(request, member, attempt_id):
    attempt = permissions.access_attempt(request.user, attempt_id, Action.TAKE_PART)
    if attempt.member_id != member.pk:
        raise permissions.not_found()
    return attempt


@require_GET
@member_view
@domain_errors
def quiz_list(request, member):
    return render(
        request,
        "mobile/quizzes/list.html",
        {"member": member, "mine": quiz_selectors.my_quizzes(member), "now": clock.now()},
    )


@require_GET
@member_view
@domain_errors
def quiz_detail(request, member, quiz_id: int):
    quiz = _reached(request, member, quiz_id)
    return render(
        request,
        "mobile/quizzes/detail.html",
        {
            "member": member,
            "quiz": quiz,
            "standing": quiz_selectors.my_standing(member, quiz),
            "now": clock.now(),
        },
    )


@require_POST
@member_view
@domain_errors
def quiz_start(request, member, quiz_id: int):
    quiz = _reached(request, member, quiz_id)
    try:
        attempt, _created = quiz_services.start_attempt(member=member, quiz=quiz)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("mobile:quiz", quiz.pk)
    return redirect("mobile:attempt", attempt.pk)


def _slots(attempt, shown: bool) -> list[dict]:
    slots = []
    for slot in quiz_selectors.attempt_questions(attempt):
        version = slot.question_version
        texts = {o["key"]: o["text"] for o in version.options}
        answer = slot.answer
        chosen = set(answer) if isinstance(answer, list) else {answer}
        slots.append(
            {
                "slot": slot,
                "version": version,
                "options": [
                    {"key": k, "text": texts[k], "chosen": k in chosen} for k in slot.option_order
                ],
                "answer": answer,
                "chosen_texts": "；".join(texts[k] for k in slot.option_order if k in chosen),
                "correct_texts": "；".join(
                    texts[k] for k in slot.option_order if k in (version.correct or [])
                ),
                "shown": shown,
                "right": shown and slot.score is not None and slot.score == slot.points,
            }
        )
    return slots


@require_GET
@member_view
@domain_errors
def attempt_page(request, member, attempt_id: int):
    attempt = _own_attempt(request, member, attempt_id)
    if attempt.finished_at is not None:
        return redirect("mobile:attempt_result", attempt.pk)
    now = clock.now()
    if attempt.deadline is not None and now > attempt.deadline:
        # Opened after the deadline: the submission is refused and finishes the attempt
        # with what was saved by then, which the result page shows.
        return _submit(request, member, attempt)
    return render(
        request,
        "mobile/quizzes/attempt.html",
        {
            "member": member,
            "attempt": attempt,
            "quiz": attempt.quiz,
            "slots": _slots(attempt, shown=False),
            "server_now": now,
        },
    )


def _answer_from(request) -> tuple[object, int]:
    if len(request.body) > MAX_ANSWER_BYTES:
        raise DomainError("invalid", _("答案太长"))
    try:
        data = json.loads(request.body or b"{}")
        version = int(data["version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DomainError("invalid", _("答案格式不正确")) from exc
    return data.get("answer"), version


@require_POST
@member_view
@domain_errors
def save_answer(request, member, attempt_id: int, question_id: int):
    """Called by quiz.js with {"answer", "version"}: JSON back, 409 with a Chinese message
    when the save is refused (stale, finished, past the deadline)."""
    attempt = _own_attempt(request, member, attempt_id)
    try:
        answer, version = _answer_from(request)
        slot = quiz_services.save_answer(
            member=member,
            attempt=attempt,
            question_id=question_id,
            answer=answer,
            version=version,
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        message = exc.message
        if exc.code == "stale_answer":
            message = _("这道题已在别处（另一个页面或设备）作答过，请刷新页面后再作答。")
        return JsonResponse({"code": exc.code, "message": message}, status=409)
    return JsonResponse(
        {"question_id": slot.question_id, "version": slot.version, "answer": slot.answer}
    )


def _submit(request, member, attempt):
    try:
        quiz_services.submit_attempt(member=member, attempt=attempt)
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        if exc.code == "deadline_passed":
            messages.warning(request, _("作答时间已到，已按截止时保存的答案自动交卷。"))
        elif exc.code != "attempt_finished":
            messages.error(request, exc.message)
    else:
        messages.success(request, _("已交卷。"))
    return redirect("mobile:attempt_result", attempt.pk)


@require_POST
@member_view
@domain_errors
def submit(request, member, attempt_id: int):
    return _submit(request, member, _own_attempt(request, member, attempt_id))


@require_GET
@member_view
@domain_errors
def attempt_result(request, member, attempt_id: int):
    attempt = _own_attempt(request, member, attempt_id)
    if attempt.finished_at is None:
        return redirect("mobile:attempt", attempt.pk)
    shown = quiz_selectors.answers_visible(attempt, request.user)
    return render(
        request,
        "mobile/quizzes/result.html",
        {
            "member": member,
            "attempt": attempt,
            "quiz": attempt.quiz,
            "shown": shown,
            "slots": _slots(attempt, shown=shown),
        },
    )
