"""Quizzes over the API (issue 19, points 4 to 6): the question bank (categories,
questions with versions, XLSX import and export), quizzes, and a member's attempts on the
server's clock: `POST /quizzes/{id}/attempts` starts (or resumes) one, `PUT
/attempts/{id}/answers/{question_id}` saves an answer with its version, `POST
/attempts/{id}/submit` hands it in, `GET /attempts/{id}` reviews it."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import BaseModel, Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.routers.jobs import ExportJobOut
from dangjian.api.schemas import ErrorOut
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import made_file
from dangjian.learning import quiz_bank, quiz_results, quiz_selectors, quiz_services
from dangjian.learning.models import Attempt, AttemptAnswer, QuestionCategory, Quiz
from dangjian.permissions import Action

router = Router(tags=["quizzes"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
Kind = Literal["single", "multiple", "true_false", "fill_in"]
Answer = bool | str | list[str] | None


def _org_ref(org) -> dict:
    return {"id": org.pk, "name": org.name}


# Categories ------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    org: dict = Field(description="The organization whose bank it is (id, name)")

    @staticmethod
    def resolve_org(category: QuestionCategory) -> dict:
        return _org_ref(category.org)


class CategoryIn(Schema):
    org_id: int
    name: str = Field(min_length=1, max_length=quiz_bank.CATEGORY_MAX_CHARS)


@router.get("/question-categories", response={200: list[CategoryOut], **ERRORS})
def list_categories(request):
    """The categories of the banks the caller keeps (their organizations' and below)."""
    return list(quiz_selectors.categories_for(actor(request)))


@router.post("/question-categories", response={201: CategoryOut, **ERRORS})
def create_category(request, payload: CategoryIn):
    """A category of an organization's bank, by one of its admins. 409 `duplicate_name`."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    return Status(201, quiz_bank.create_category(actor=user, org=org, name=payload.name))


# Questions -------------------------------------------------------------------------------


class OptionOut(BaseModel):
    key: str
    text: str


class QuestionOut(Schema):
    # The content is the current version's (`Question.current`), read through dotted aliases.
    id: int
    category: CategoryOut
    version: int = Field(
        alias="current.number",
        description="The current version: an edit after attempts makes a new one",
    )
    kind: Kind = Field(alias="current.kind")
    stem: str = Field(alias="current.stem")
    options: list[OptionOut] = Field(alias="current.options")
    correct: list[str] = Field(
        alias="current.correct", description="The right keys of a choice question"
    )
    truth: bool | None = Field(
        alias="current.truth", description="The answer of a true/false question"
    )
    accepted: list[str] = Field(
        alias="current.accepted", description="The accepted answers of a fill-in"
    )
    partial_credit: bool = Field(alias="current.partial_credit")
    explanation: str = Field(alias="current.explanation")
    uses: int = Field(description="Attempts given it so far (the draw takes the least used)")
    is_active: bool


class QuestionIn(Schema):
    category_id: int
    kind: Kind
    stem: str = Field(min_length=1, max_length=quiz_bank.STEM_MAX_CHARS)
    options: list[str] = Field([], max_length=quiz_bank.MAX_OPTIONS, description="Keyed A, B, …")
    correct: list[str] = Field([], max_length=quiz_bank.MAX_OPTIONS, description="Right keys")
    truth: bool | None = None
    accepted: list[str] = Field([], max_length=50)
    partial_credit: bool = False
    explanation: str = Field("", max_length=quiz_bank.STEM_MAX_CHARS)


class QuestionPatch(Schema):
    category_id: int | None = None
    kind: Kind | None = None
    stem: str | None = Field(None, min_length=1, max_length=quiz_bank.STEM_MAX_CHARS)
    options: list[str] | None = Field(None, max_length=quiz_bank.MAX_OPTIONS)
    correct: list[str] | None = Field(None, max_length=quiz_bank.MAX_OPTIONS)
    truth: bool | None = None
    accepted: list[str] | None = Field(None, max_length=50)
    partial_credit: bool | None = None
    explanation: str | None = Field(None, max_length=quiz_bank.STEM_MAX_CHARS)


class QuestionFilters(Schema):
    category_id: int | None = None
    q: str = Field("", max_length=quiz_selectors.SEARCH_MAX_CHARS, description="In the stem")


def _category(user, category_id: int) -> QuestionCategory:
    return permissions.access_question_category(user, category_id, Action.CHANGE)


@router.get("/questions", response={200: list[QuestionOut], **ERRORS})
@paginate(Page)
def list_questions(request, filters: Query[QuestionFilters]):
    """The active questions of the banks the caller keeps, newest first."""
    user = actor(request)
    category = None
    if filters.category_id is not None:
        category = permissions.access_question_category(user, filters.category_id)
    return quiz_selectors.questions_for(user, category=category, q=filters.q)


@router.post("/questions", response={201: QuestionOut, **ERRORS})
def create_question(request, payload: QuestionIn):
    """A question of a category's bank, at version 1; 422 `validation_error` with the field
    at fault (options, correct, …)."""
    user = actor(request)
    category = _category(user, payload.category_id)
    content = quiz_bank.QuestionContent(**payload.dict(exclude={"category_id"}))
    question = quiz_bank.create_question(actor=user, category=category, content=content)
    return Status(201, question)


# Declared before /questions/{question_id}, which would take their paths.
@router.get("/questions/import/template", response={200: None, **ERRORS})
def bank_template(request):
    """The bank's import template (.xlsx, with a help sheet)."""
    actor(request)
    return made_file(*quiz_bank.bank_template())


class ImportOut(Schema):
    created: int


@router.post("/questions/import", response={200: ImportOut, **ERRORS})
def import_questions(request, org_id: Form[int], file: File[UploadedFile]):
    """Multipart `file` (.xlsx in the template's columns) and `org_id`: all or nothing; 422
    `import_invalid` lists the rows and columns at fault in `errors`."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.IMPORT)
    created = quiz_bank.import_questions(actor=user, org=org, file=file, filename=file.name)
    return {"created": created}


@router.get("/questions/export", response={200: None, **ERRORS})
def export_questions(request, org_id: int):
    """The organization's active questions as .xlsx, in the import's columns."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.CHANGE)
    return made_file(*quiz_bank.export_bank(actor=user, org=org))


@router.get("/questions/{question_id}", response={200: QuestionOut, **ERRORS})
def get_question(request, question_id: int):
    return permissions.access_question(actor(request), question_id)


@router.patch("/questions/{question_id}", response={200: QuestionOut, **ERRORS})
def edit_question(request, question_id: int, payload: QuestionPatch):
    """Change a question: fields left out keep their current value. Once an attempt has
    been given the question, the edit makes a new version (attempts before keep theirs)."""
    user = actor(request)
    question = permissions.access_question(user, question_id, Action.CHANGE)
    changes = payload.dict(exclude_unset=True)
    category_id = changes.pop("category_id", None)
    category = _category(user, category_id) if category_id is not None else None
    content = None
    if changes:
        current = question.current
        merged = {
            "kind": current.kind,
            "stem": current.stem,
            "options": [o["text"] for o in current.options],
            "correct": current.correct,
            "truth": current.truth,
            "accepted": current.accepted,
            "partial_credit": current.partial_credit,
            "explanation": current.explanation,
            **{k: v for k, v in changes.items() if v is not None or k == "truth"},
        }
        content = quiz_bank.QuestionContent(**merged)
    return quiz_bank.edit_question(
        actor=user, question=question, content=content, category=category
    )


@router.delete("/questions/{question_id}", response={200: QuestionOut, **ERRORS})
def retire_question(request, question_id: int):
    """Retire a question: no longer drawn or offered; attempts given it keep it."""
    user = actor(request)
    question = permissions.access_question(user, question_id, Action.CHANGE)
    return quiz_bank.retire_question(actor=user, question=question)


# Quizzes ---------------------------------------------------------------------------------


class FixedIn(Schema):
    question_id: int
    points: int = Field(1, ge=1, le=100)


class DrawIn(Schema):
    category_id: int
    count: int = Field(ge=1, le=quiz_services.MAX_PAPER_QUESTIONS)
    points: int = Field(1, ge=1, le=100)


GradingMethod = Literal["highest", "last", "first", "mean"]
ReviewPolicy = Literal["after_submission", "after_close"]


class QuizTermsIn(Schema):
    description: str = Field("", max_length=2000)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_seconds: int | None = Field(None, ge=1, le=86400)
    attempts_allowed: int | None = Field(None, ge=1, le=100)
    grading_method: GradingMethod = "highest"
    pass_mark: Decimal = Field(Decimal(60), ge=0, le=100, decimal_places=2)
    shuffle_options: bool = True
    review_policy: ReviewPolicy = "after_submission"


class QuizIn(QuizTermsIn):
    org_id: int = Field(description="The organization: the quiz reaches its subtree")
    title: str = Field(min_length=1, max_length=quiz_services.TITLE_MAX_CHARS)
    questions: list[FixedIn] = Field([], max_length=quiz_services.MAX_PAPER_QUESTIONS)
    draw: list[DrawIn] = Field([], max_length=50, description="N questions per category")


NULLABLE_TERMS = ("opens_at", "closes_at", "time_limit_seconds", "attempts_allowed")


class QuizPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=quiz_services.TITLE_MAX_CHARS)
    description: str | None = Field(None, max_length=2000)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_seconds: int | None = Field(None, ge=1, le=86400)
    attempts_allowed: int | None = Field(None, ge=1, le=100)
    grading_method: GradingMethod | None = None
    pass_mark: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    shuffle_options: bool | None = None
    review_policy: ReviewPolicy | None = None
    questions: list[FixedIn] | None = Field(None, max_length=quiz_services.MAX_PAPER_QUESTIONS)
    draw: list[DrawIn] | None = Field(None, max_length=50)


class QuizOut(Schema):
    id: int
    org: dict
    title: str
    description: str
    status: Literal["draft", "published"]
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_seconds: int | None
    attempts_allowed: int | None
    grading_method: GradingMethod
    pass_mark: Decimal
    shuffle_options: bool
    review_policy: ReviewPolicy
    published_at: datetime | None

    @staticmethod
    def resolve_org(quiz: Quiz) -> dict:
        return _org_ref(quiz.org)

    @staticmethod
    def resolve_time_limit_seconds(quiz: Quiz) -> int | None:
        return None if quiz.time_limit is None else int(quiz.time_limit.total_seconds())


class QuizDetailOut(QuizOut):
    questions: list[dict] | None = Field(
        description="Fixed questions (question_id, points): for its admins only, else null"
    )
    draw: list[dict] | None = Field(description="category_id, count, points; admins only")
    standing: dict | None = Field(
        description="The caller's own attempts, grade, pass and attempts left, as a member"
    )


def _detail(user, quiz: Quiz) -> Quiz:
    """The quiz with what QuizDetailOut adds: its paper for its admins, the caller's own
    standing for a member it reaches."""
    paper = quiz_selectors.quiz_paper(quiz) if permissions.can(user, Action.CHANGE, quiz) else None
    quiz.questions = quiz.draw = quiz.standing = None
    if paper is not None:
        quiz.questions = [
            {"question_id": q.question_id, "points": q.points} for q in paper.fixed_questions.all()
        ]
        quiz.draw = [
            {"category_id": r.category_id, "count": r.count, "points": r.points}
            for r in paper.draw_rules.all()
        ]
    member = permissions.own_member(user)
    if member is not None and permissions.quiz_reaches(quiz, member):
        mine = quiz_selectors.my_standing(member, quiz)
        quiz.standing = {
            "attempts": [a.pk for a in mine.attempts],
            "in_progress": mine.in_progress.pk if mine.in_progress else None,
            "grade": mine.grade,
            "passed": mine.passed,
            "attempts_left": mine.attempts_left,
        }
    return quiz


def _terms(values: dict) -> dict:
    if "time_limit_seconds" in values:
        seconds = values.pop("time_limit_seconds")
        values["time_limit"] = None if seconds is None else timedelta(seconds=seconds)
    return values


def _paper(user, values: dict) -> dict:
    paper = {}
    if values.get("questions") is not None:
        paper["questions"] = [
            quiz_services.FixedQuestion(
                permissions.access_question(user, q["question_id"], Action.CHANGE),
                q.get("points", 1),
            )
            for q in values["questions"]
        ]
    if values.get("draw") is not None:
        paper["draws"] = [
            quiz_services.CategoryDraw(
                _category(user, d["category_id"]), d["count"], d.get("points", 1)
            )
            for d in values["draw"]
        ]
    values.pop("questions", None)
    values.pop("draw", None)
    return paper


@router.get("/quizzes", response={200: list[QuizOut], **ERRORS})
@paginate(Page)
def list_quizzes(request, status: Literal["draft", "published"] | None = None):
    """The quizzes the caller may read: published ones that reach them and, for admins,
    every quiz of the organizations they administer."""
    return quiz_selectors.quizzes_for(actor(request), status=status)


@router.post("/quizzes", response={201: QuizDetailOut, **ERRORS})
def create_quiz(request, payload: QuizIn):
    """A draft quiz. 422 `draw_exceeds_bank` (with category_id, requested, available) when
    a category holds fewer active questions than its draw asks; `validation_error` for
    terms that do not hold (a close before the opening, …)."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    values = _terms(payload.dict(exclude={"org_id"}))
    paper = _paper(user, values)
    quiz = quiz_services.create_quiz(actor=user, org=org, **values, **paper)
    return Status(201, _detail(user, quiz))


@router.get("/quizzes/{quiz_id}", response={200: QuizDetailOut, **ERRORS})
def get_quiz(request, quiz_id: int):
    user = actor(request)
    return _detail(user, permissions.access_quiz(user, quiz_id))


@router.patch("/quizzes/{quiz_id}", response={200: QuizDetailOut, **ERRORS})
def edit_quiz(request, quiz_id: int, payload: QuizPatch):
    """Change a quiz's terms or paper; attempts started keep the paper they were given."""
    user = actor(request)
    quiz = permissions.access_quiz(user, quiz_id, Action.CHANGE)
    values = payload.dict(exclude_unset=True)
    # null clears the times, the limit and the attempts allowed; elsewhere it changes nothing.
    values = {k: v for k, v in values.items() if v is not None or k in NULLABLE_TERMS}
    values = _terms(values)
    paper = _paper(user, values)
    quiz = quiz_services.edit_quiz(actor=user, quiz=quiz, **values, **paper)
    return _detail(user, quiz)


@router.post("/quizzes/{quiz_id}/publish", response={200: QuizDetailOut, **ERRORS})
def publish_quiz(request, quiz_id: int):
    """Open the quiz to its organization's subtree. 409 `invalid_status`."""
    user = actor(request)
    quiz = permissions.access_quiz(user, quiz_id, Action.CHANGE)
    return _detail(user, quiz_services.publish_quiz(actor=user, quiz=quiz))


# Attempts --------------------------------------------------------------------------------


class GroupOut(Schema):
    name: str
    members: int = Field(description="Expected to take the quiz")
    took: int = Field(description="Finished at least one attempt")
    passed: int
    participation: Decimal | None = Field(description="Percent of members who took it")
    pass_rate: Decimal | None = Field(description="Percent of takers who passed")


class BucketOut(Schema):
    lower: int
    upper: int
    count: int


class QuestionStatsOut(Schema):
    question_id: int
    stem: str
    attempts: int
    facility: Decimal = Field(description="Mean credit, percent")
    discrimination: Decimal | None = Field(description="Upper–lower 27 % index, −1 to 1")


class MemberResultOut(Schema):
    member_id: int
    name: str
    county: str
    branch: str
    sector: str
    attempts: int
    grade: Decimal | None = Field(description="By the quiz's grading method")
    passed: bool


class ResultsOut(Schema):
    quiz_id: int
    overall: GroupOut
    distribution: list[BucketOut]
    by_county: list[GroupOut]
    by_branch: list[GroupOut]
    by_sector: list[GroupOut]
    questions: list[QuestionStatsOut]
    members: list[MemberResultOut]


def _group_out(name: str, result) -> dict:
    return {
        "name": name,
        "members": result.members,
        "took": result.took,
        "passed": result.passed,
        "participation": result.participation,
        "pass_rate": result.pass_rate,
    }


@router.get("/quizzes/{quiz_id}/results", response={200: ResultsOut, **ERRORS})
def get_results(request, quiz_id: int):
    """A quiz's results for the admins of its organization: the distribution of the
    members' grades, participation and pass rate per county, branch and sector, each
    question's facility and discrimination, and each member's grade."""
    user = actor(request)
    found = quiz_results.results_for(user, permissions.access_quiz(user, quiz_id))
    return {
        "quiz_id": quiz_id,
        "overall": _group_out("", found.overall),
        "distribution": [vars(b) for b in found.distribution],
        "by_county": [_group_out(g.name, g.result) for g in found.by_county],
        "by_branch": [_group_out(g.name, g.result) for g in found.by_branch],
        "by_sector": [_group_out(g.name, g.result) for g in found.by_sector],
        "questions": [
            {
                "question_id": q.question_id,
                "stem": q.stem,
                "attempts": q.stats.attempts,
                "facility": q.stats.facility,
                "discrimination": q.stats.discrimination,
            }
            for q in found.questions
        ],
        "members": [
            {
                "member_id": m.member_id,
                "name": m.name,
                "county": m.county,
                "branch": m.branch,
                "sector": m.sector,
                "attempts": len(m.attempts),
                "grade": m.grade,
                "passed": m.passed,
            }
            for m in found.members
        ],
    }


@router.get("/quizzes/{quiz_id}/results/export", response={200: None, **ERRORS})
def export_results(request, quiz_id: int):
    """The results as XLSX (counties, branches, sectors, questions, members)."""
    user = actor(request)
    quiz = permissions.access_quiz(user, quiz_id)
    return made_file(*quiz_results.export_results(actor=user, quiz=quiz))


@router.post("/quizzes/{quiz_id}/results/export-jobs", response={202: ExportJobOut, **ERRORS})
def export_results_job(request, quiz_id: int):
    """The same workbook built in the background: a job to poll (GET /jobs/{id}), its file
    at GET /jobs/{id}/file once it has succeeded."""
    user = actor(request)
    quiz = permissions.access_quiz(user, quiz_id)
    return Status(202, {"job_id": quiz_results.start_results_export(actor=user, quiz=quiz).pk})


class AttemptQuestionOut(BaseModel):
    question_id: int
    position: int
    points: int
    kind: Kind
    stem: str
    options: list[OptionOut] = Field(description="In this attempt's order")
    answer: Answer = Field(description="The answer saved")
    version: int = Field(description="The slot's version: the next save carries version + 1")
    saved_at: datetime | None
    score: Decimal | None = Field(description="Points earned, when answers are shown")
    correct: list[str] | None = Field(description="The right keys, when answers are shown")
    truth: bool | None
    accepted: list[str] | None
    explanation: str | None


class AttemptOut(BaseModel):
    id: int
    quiz_id: int
    number: int
    started_at: datetime
    deadline: datetime | None = Field(description="The server's: the countdown runs to it")
    server_time: datetime
    finished_at: datetime | None
    ended_by: Literal["", "submitted", "deadline"]
    score: Decimal | None
    maximum: Decimal
    grade: Decimal | None = Field(description="Percent, two decimals")
    passed: bool | None
    answers_shown: bool = Field(description="Whether correct answers are shown (review policy)")
    questions: list[AttemptQuestionOut]


def _question_out(slot: AttemptAnswer, shown: bool) -> dict:
    version = slot.question_version
    texts = {o["key"]: o["text"] for o in version.options}
    return {
        "question_id": slot.question_id,
        "position": slot.position,
        "points": slot.points,
        "kind": version.kind,
        "stem": version.stem,
        "options": [{"key": k, "text": texts[k]} for k in slot.option_order],
        "answer": slot.answer,
        "version": slot.version,
        "saved_at": slot.saved_at,
        "score": slot.score if shown else None,
        "correct": version.correct if shown else None,
        "truth": version.truth if shown else None,
        "accepted": version.accepted if shown else None,
        "explanation": version.explanation if shown else None,
    }


def _attempt_out(user, attempt: Attempt) -> dict:
    shown = quiz_selectors.answers_visible(attempt, user)
    # A start or a submission leaves the slots it wrote on the attempt (`paper`): the
    # month's peak answers with them instead of reading them again.
    slots = getattr(attempt, "paper", None)
    if slots is None:
        slots = quiz_selectors.attempt_questions(attempt)
    return {
        "id": attempt.pk,
        "quiz_id": attempt.quiz_id,
        "number": attempt.number,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "server_time": clock.now(),
        "finished_at": attempt.finished_at,
        "ended_by": attempt.ended_by,
        "score": attempt.score,
        "maximum": attempt.maximum,
        "grade": attempt.grade,
        "passed": attempt.passed,
        "answers_shown": shown,
        "questions": [_question_out(s, shown) for s in slots],
    }


def _member(user):
    member = permissions.own_member(user)
    if member is None:
        raise DomainError("not_in_scope", _("只有党员可以参加测试"))
    return member


@router.post("/quizzes/{quiz_id}/attempts", response={200: AttemptOut, 201: AttemptOut, **ERRORS})
def start_attempt(request, quiz_id: int):
    """Start an attempt (201) with its questions and the server's deadline, no correct
    answers; an attempt in progress is resumed (200). 409 `quiz_not_open`, `quiz_closed`,
    `no_attempts_left`; 403 `not_in_scope` for a caller the quiz does not reach as a
    member."""
    user = actor(request)
    # A member the quiz reaches, the month's peak, in one read; anyone else as any object.
    started = quiz_services.start_reached(user=user, quiz_id=quiz_id)
    if started is None:
        quiz = permissions.access_quiz(user, quiz_id)
        started = quiz_services.start_attempt(member=_member(user), quiz=quiz)
        started[0].member = permissions.own_member(user)
    attempt, created = started
    return Status(201 if created else 200, _attempt_out(user, attempt))


class AnswerIn(Schema):
    answer: Answer = Field(
        description="A key (single), keys (multiple), true/false, text (fill-in); null clears"
    )
    version: int = Field(ge=1, description="The slot's version + 1")


class AnswerOut(Schema):
    question_id: int
    answer: Answer
    version: int
    saved_at: datetime | None
    server_time: datetime


@router.put("/attempts/{attempt_id}/answers/{question_id}", response={200: AnswerOut, **ERRORS})
def save_answer(request, attempt_id: int, question_id: int, payload: AnswerIn):
    """Save one answer, idempotently: the same version and answer again answers as before;
    409 `stale_answer` (with current_version) for an older version or another answer at the
    same one, `attempt_finished`, `deadline_passed` (the attempt is then finished with what
    was saved by the deadline)."""
    user = actor(request)
    slot = quiz_services.save_own_answer(
        user=user,
        attempt_id=attempt_id,
        question_id=question_id,
        answer=payload.answer,
        version=payload.version,
    )
    return {
        "question_id": slot.question_id,
        "answer": slot.answer,
        "version": slot.version,
        "saved_at": slot.saved_at,
        "server_time": clock.now(),
    }


@router.post("/attempts/{attempt_id}/submit", response={200: AttemptOut, **ERRORS})
def submit_attempt(request, attempt_id: int):
    """Hand the attempt in; it is marked at once. 409 `attempt_finished` for a replayed
    submission (nothing changes), `deadline_passed` after the deadline (the attempt is
    finished with what was saved by then: see GET)."""
    user = actor(request)
    return _attempt_out(user, quiz_services.submit_own_attempt(user=user, attempt_id=attempt_id))


@router.get("/attempts/{attempt_id}", response={200: AttemptOut, **ERRORS})
def get_attempt(request, attempt_id: int):
    """The attempt with its questions and the answers saved; marks and correct answers by
    the quiz's review policy (after submission, or only after the quiz closes)."""
    user = actor(request)
    return _attempt_out(user, permissions.access_attempt(user, attempt_id))


class MyQuizOut(Schema):
    quiz: QuizOut
    attempts: list[int] = Field(description="The caller's attempts, first to last")
    in_progress: int | None = Field(description="The attempt to resume, if any")
    grade: Decimal | None = Field(description="By the quiz's grading method")
    passed: bool
    attempts_left: int | None = Field(description="null: any number")


@router.get("/me/quizzes", response={200: list[MyQuizOut], **ERRORS})
def my_quizzes(request):
    """The published quizzes that reach the caller as a member, open ones first, with
    their standing in each. 403 `not_in_scope` for an account without a member record."""
    mine = quiz_selectors.my_quizzes(_member(actor(request)))
    return [
        {
            "quiz": m.quiz,
            "attempts": [a.pk for a in m.attempts],
            "in_progress": m.in_progress.pk if m.in_progress else None,
            "grade": m.grade,
            "passed": m.passed,
            "attempts_left": m.attempts_left,
        }
        for m in mine
    ]
