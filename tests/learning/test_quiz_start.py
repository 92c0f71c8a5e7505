"""The month's peak path (docs/performance.md, "The monthly quiz peak"; the statements in
learning/attempt_sql.py): what a start reads by hand (the member's attempts, the paper's
fixed questions and draw rules, the bank) and writes (the attempt, its slots, the uses),
and what a submission writes (the scores, the marks), each against the models' reading;
the paper drawn from those facts by a pure function; only a member the quiz reaches taking
the one-read start, and a member let in before their admin roles are read, with the same
answers as before for admins who are members; a submission refused as the attempt's
access refuses it; a start and a submission costing a fixed number of statements."""

from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.learning import attempt_sql, quiz_services
from dangjian.learning.attempt_sql import StartFacts
from dangjian.learning.draw import BankQuestion
from dangjian.learning.models import Attempt, AttemptAnswer, Question, Quiz
from dangjian.permissions import Action
from dangjian.registry.models import Role, RoleGrant
from tests.conftest import COMMITTED
from tests.learning.articles import NOW
from tests.learning.quizzes import bank, multiple, quiz, single

# A paper of no database: fixed questions 1 (2 points, version 11) and 2; rules drawing 2
# from category 7 (3 points each) and 1 from category 8; the bank of both categories.
FACTS = StartFacts(
    attempts=[],
    fixed=[(1, 2, 11), (2, 1, 12)],
    rules=[(7, 2, 3), (8, 1, 1)],
    bank=[BankQuestion(1, 7, 0), BankQuestion(3, 7, 5), BankQuestion(4, 7, 0)]
    + [BankQuestion(5, 7, 0), BankQuestion(6, 8, 9)],
    current={1: 11, 2: 12, 3: 13, 4: 14, 5: 15, 6: 16},
)


@pytest.mark.parametrize("seed", ["a", "b", "c", "d"])
def test_the_paper_is_the_fixed_questions_then_each_rule_in_turn_with_its_points(seed):
    paper = quiz_services.draw_paper(FACTS, seed)
    assert paper[:2] == [(1, 2), (2, 1)]
    # Question 1 is fixed and never drawn; 3 is the most used of its category.
    assert sorted(paper[2:4]) == [(4, 3), (5, 3)]
    assert paper[4:] == [(6, 1)]


def test_a_paper_without_rules_is_its_fixed_questions():
    facts = StartFacts([], [(2, 1, 12), (1, 5, 11)], [], [], {1: 11, 2: 12})
    assert quiz_services.draw_paper(facts, "seed") == [(2, 1), (1, 5)]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_the_start_facts_read_by_hand_agree_with_the_models(world, clock):
    cat, questions = bank(world, n=4)
    other, others = bank(world, n=2, name="廉政")
    unused, _spare = bank(world, n=1, name="不抽")
    fixed = single(world, unused)
    questions[3].is_active = False
    questions[3].save(update_fields=["is_active"])
    Question.objects.filter(pk=questions[0].pk).update(uses=4)
    made = quiz(
        world,
        questions=[(fixed, 3)],
        draws=[(other, 2, 2), (cat, 1, 5)],
        attempts_allowed=3,
    )
    member = world.a.member
    first, _new = quiz_services.start_attempt(member=member, quiz=made)
    quiz_services.submit_attempt(member=member, attempt=first)
    second, _new = quiz_services.start_attempt(member=member, quiz=made)

    facts = attempt_sql.start_facts(member, made)

    assert facts.attempts == [(first.pk, True), (second.pk, False)]
    assert facts.fixed == [(fixed.pk, 3, fixed.current_id)]
    assert facts.rules == [(other.pk, 2, 2), (cat.pk, 1, 5)]
    active = Question.objects.filter(category__in=[cat, other], is_active=True)
    assert sorted(facts.bank, key=lambda q: q.id) == [
        BankQuestion(q.pk, q.category_id, q.uses) for q in active.order_by("pk")
    ]
    assert questions[3].pk not in {q.id for q in facts.bank}
    assert facts.current == {
        q.pk: q.current_id
        for q in Question.objects.filter(pk__in=[fixed.pk, *(q.pk for q in active)])
    }
    assert facts.current[fixed.pk] == fixed.current_id
    assert others[0].pk in facts.current
    # On PostgreSQL the start reads the same facts with the quiz and the member.
    _quiz, _member, with_reach = attempt_sql.reached(member.user, made.pk)
    assert with_reach == (facts if connection.vendor == "postgresql" else None)


ATTEMPT_FIELDS = ("pk", "quiz_id", "member_id", "number", "seed", "started_at", "deadline")
SLOT_FIELDS = ("question_id", "question_version_id", "position", "points", "option_order")


def _fields(obj, names) -> tuple:
    return tuple(getattr(obj, name) for name in names)


@pytest.mark.django_db
def test_a_start_writes_its_attempt_and_paper_as_the_models_read_them(world, clock):
    cat, _questions = bank(world, n=2)
    choices = [single(world, cat, stem=f"单选题{i}") for i in range(3)]
    made = quiz(world, draws=[(cat, 4, 2)])
    attempt, created = quiz_services.start_attempt(member=world.a.member, quiz=made)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert created and _fields(attempt, ATTEMPT_FIELDS) == _fields(stored, ATTEMPT_FIELDS)
    assert stored.started_at == NOW and stored.deadline == NOW + made.time_limit
    assert (stored.finished_at, stored.ended_by, stored.score, stored.maximum) == (
        None,
        "",
        None,
        Decimal(0),
    )
    slots = list(AttemptAnswer.objects.filter(attempt=attempt).order_by("position"))
    assert [_fields(s, SLOT_FIELDS) for s in attempt.paper] == [
        _fields(s, SLOT_FIELDS) for s in slots
    ]
    assert [(s.answer, s.version, s.saved_at, s.score) for s in slots] == [
        (None, 0, None, None)
    ] * 4
    # Each choice question's options in this attempt's order, every key once.
    orders = [s.option_order for s in slots if s.question_id in {q.pk for q in choices}]
    assert orders and all(sorted(order) == ["A", "B", "C"] for order in orders)
    uses = dict(Question.objects.values_list("pk", "uses"))
    assert sorted(uses.values()) == [0, 1, 1, 1, 1]
    assert {s.question_id for s in slots} == {pk for pk, n in uses.items() if n == 1}


MARK_FIELDS = ("finished_at", "ended_by", "score", "maximum", "grade", "passed")


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.django_db
def test_a_submission_reads_its_attempt_quiz_and_paper_as_the_models_read_them(world, clock):
    cat, _questions = bank(world, n=2)
    single(world, cat, stem="单选题")
    made = quiz(world, draws=[(cat, 3, 2)], attempts_allowed=2)
    member = world.a.member
    attempt, _new = quiz_services.start_attempt(member=member, quiz=made)
    saved = next(s for s in attempt.paper if s.question_version.kind == "true_false")
    quiz_services.save_answer(
        member=member, attempt=attempt, question_id=saved.question_id, answer=False, version=1
    )

    # On PostgreSQL read by cursor, elsewhere through Manager.raw.
    read = attempt_sql.locked_attempt(attempt.pk)
    slots = attempt_sql.paper(read)

    assert _columns(read) == _columns(Attempt.objects.get(pk=attempt.pk))
    assert _columns(read.quiz) == _columns(Quiz.objects.get(pk=made.pk))
    assert (read.member.pk, read.member.user_id, read.member.is_active) == (
        member.pk,
        member.user_id,
        True,
    )
    stored = AttemptAnswer.objects.filter(attempt=attempt).select_related("question_version")
    assert [_columns(s) for s in slots] == [_columns(s) for s in stored.order_by("position")]
    assert [_columns(s.question_version) for s in slots] == [
        _columns(s.question_version) for s in stored.order_by("position")
    ]
    answered = next(s for s in slots if s.question_id == saved.question_id)
    assert (answered.answer, answered.version, answered.saved_at) == (False, 1, NOW)
    slot = attempt_sql.locked_slot(read, saved.question_id)
    assert attempt_sql.locked_slot(read, saved.question_id + 999) is None
    assert _columns(slot) == _columns(answered)
    assert _columns(slot.question_version) == _columns(answered.question_version)
    assert all(s._state.db == connection.alias and not s._state.adding for s in slots)
    assert attempt_sql.locked_attempt(attempt.pk + 999) is None


@pytest.mark.django_db
def test_a_submission_writes_the_marks_it_answers_with_as_the_models_read_them(world, clock):
    cat, _questions = bank(world, n=4)
    partial = multiple(world, cat, partial=True)
    made = quiz(world, draws=[(cat, 5, 1)])
    member = world.a.member
    attempt, _new = quiz_services.start_attempt(member=member, quiz=made)
    answers = {q.question_id: True for q in attempt.paper}
    answers[next(q for q in answers if q != partial.pk)] = False
    answers[partial.pk] = ["A", "B"]  # two of the four right options: half its point
    for question_id, answer in answers.items():
        quiz_services.save_answer(
            member=member, attempt=attempt, question_id=question_id, answer=answer, version=1
        )

    marked = quiz_services.submit_own_attempt(user=member.user, attempt_id=attempt.pk)

    stored = dict(AttemptAnswer.objects.filter(attempt=attempt).values_list("question_id", "score"))
    assert {s.question_id: s.score for s in marked.paper} == stored
    assert sorted(stored.values()) == [Decimal(0), Decimal("0.5")] + [Decimal(1)] * 3
    again = Attempt.objects.get(pk=attempt.pk)
    assert _fields(marked, MARK_FIELDS) == _fields(again, MARK_FIELDS)
    assert _fields(again, MARK_FIELDS) == (
        NOW,
        "submitted",
        Decimal("3.5"),
        Decimal(5),
        Decimal("70.00"),
        True,
    )


@pytest.mark.django_db
def test_a_submission_is_refused_as_the_attempt_s_access_refuses_it(world, clock):
    cat, _questions = bank(world, n=2, name="廉政")
    made = quiz(world, draws=[(cat, 2, 1)])
    attempt, _new = quiz_services.start_attempt(member=world.a.member, quiz=made)
    for user, code in [
        (world.city_admin, "forbidden"),  # reads the attempt, does not take it
        (world.b.member.user, "not_found"),
        (world.outsider, "not_found"),
    ]:
        with pytest.raises(DomainError) as refused:
            quiz_services.submit_own_attempt(user=user, attempt_id=attempt.pk)
        assert refused.value.code == code
    with pytest.raises(DomainError) as refused:
        quiz_services.submit_own_attempt(user=world.a.member.user, attempt_id=attempt.pk + 99)
    assert refused.value.code == "not_found"
    assert Attempt.objects.get(pk=attempt.pk).finished_at is None


def _member_admin(world):
    """County a's member, made an admin of county a too."""
    user = world.a.member.user
    RoleGrant.objects.create(user=user, org=world.a.org, role=Role.ADMIN)
    permissions.forget(user)
    return user


# (whose quiz, published, action, allowed) for an admin of county a who is its member.
MEMBER_ADMIN_CASES = [
    ("county", True, Action.READ, True),
    ("county", True, Action.TAKE_PART, True),
    ("county", True, Action.CHANGE, True),
    ("county", False, Action.READ, True),
    ("county", False, Action.CHANGE, True),
    ("county", False, Action.TAKE_PART, True),
    ("city", True, Action.READ, True),
    ("city", True, Action.TAKE_PART, True),
    ("city", True, Action.CHANGE, False),
    ("city", False, Action.READ, False),
    ("city", False, Action.TAKE_PART, False),
    ("other", True, Action.READ, False),
    ("other", True, Action.TAKE_PART, False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("whose", "published", "action", "allowed"), MEMBER_ADMIN_CASES)
def test_an_admin_who_is_a_member_keeps_both_standings(
    world, clock, whose, published, action, allowed
):
    user = _member_admin(world)
    org = {"county": world.a.org, "city": world.city, "other": world.b.org}[whose]
    cat, _questions = bank(world, n=1)
    made = quiz(world, draws=[(cat, 1, 1)], org=org, publish=published)
    assert permissions.can(user, action, made) is allowed


@pytest.mark.django_db
def test_a_member_the_quiz_reaches_is_let_in_without_reading_their_admin_roles(world, clock):
    cat, _questions = bank(world, n=1)
    made = quiz(world, draws=[(cat, 1, 1)])
    user = world.a.branch_admin  # an admin of the branch, and its member
    assert permissions.own_member(user) is not None
    permissions.forget(user)
    with CaptureQueriesContext(connection) as ctx:
        assert permissions.access_quiz(user, made.pk, Action.TAKE_PART) == made
    assert not any("registry_rolegrant" in q["sql"] for q in ctx.captured_queries)
    # A draft of the same organization: the admin roles are read, and refuse it.
    draft = quiz(world, draws=[(cat, 1, 1)], publish=False)
    with pytest.raises(DomainError):
        permissions.access_quiz(user, draft.pk)


@pytest.mark.django_db
def test_a_start_and_a_submission_cost_a_fixed_number_of_statements(world, api, clock):
    cat, _questions = bank(world, n=12)
    made = quiz(world, draws=[(cat, 10, 1)])
    client = api(world.a.member.user)
    with CaptureQueriesContext(connection) as start:
        answer = client.post(f"/quizzes/{made.pk}/attempts")
    assert answer.status_code == 201
    attempt = answer.json()
    first = attempt["questions"][0]["question_id"]
    with CaptureQueriesContext(connection) as save:
        answer = client._call(
            "put", f"/attempts/{attempt['id']}/answers/{first}", {"answer": True, "version": 1}
        )
    assert answer.status_code == 200 and answer.json()["version"] == 1
    with CaptureQueriesContext(connection) as submit:
        answer = client.post(f"/attempts/{attempt['id']}/submit")
    assert answer.status_code == 200 and len(answer.json()["questions"]) == 10
    # The start: the token's holder, the quiz with the member and the facts (one statement
    # on PostgreSQL, two elsewhere), the versions, then the attempt, its slots and the
    # uses, one statement on PostgreSQL (three elsewhere), and the transaction's two ends:
    # savepoints in a test; outside one PostgreSQL's statement stands alone. The
    # submission: the token's holder, the attempt under lock with its quiz (two
    # statements elsewhere), its slots with their versions (two elsewhere),
    # their scores and the attempt's marks (one statement on PostgreSQL), and the
    # transaction's ends.
    postgresql = connection.vendor == "postgresql"
    assert len(start.captured_queries) == (6 if postgresql else 9), [
        q["sql"][:80] for q in start.captured_queries
    ]
    assert len(submit.captured_queries) == (6 if postgresql else 9), [
        q["sql"][:80] for q in submit.captured_queries
    ]
    # The save: the token's holder, the attempt under lock with its quiz (two statements
    # elsewhere), its slot under lock with its version, the write, and the transaction's
    # ends.
    assert len(save.captured_queries) == (6 if postgresql else 7), [
        q["sql"][:80] for q in save.captured_queries
    ]


@pytest.mark.django_db
def test_only_a_member_the_quiz_reaches_starts_from_the_one_read(world, clock):
    cat, _questions = bank(world, n=2)
    county = quiz(world, draws=[(cat, 1, 1)], org=world.a.org)
    draft = quiz(world, draws=[(cat, 1, 1)], org=world.a.org, publish=False)
    left = world.a.flowing
    left.is_active, left.left_at = False, NOW.date()
    left.save(update_fields=["is_active", "left_at"])
    for user, made in [
        (world.city_admin, county),  # an admin over it, no member
        (world.b.member.user, county),  # a member it does not reach
        (world.outsider, county),
        (left.user, county),  # a member no more
        (world.a.member.user, draft),
    ]:
        assert quiz_services.start_reached(user=user, quiz_id=made.pk) is None
    assert quiz_services.start_reached(user=world.a.member.user, quiz_id=draft.pk + 99) is None
    assert Attempt.objects.count() == 0

    for user in (world.a.member.user, world.a.branch_admin):  # the branch's admin is a member
        attempt, created = quiz_services.start_reached(user=user, quiz_id=county.pk)
        assert created and attempt.member == permissions.own_member(user)
        assert attempt.member.user_id == user.pk and attempt.quiz_id == county.pk
        again, created = quiz_services.start_reached(user=user, quiz_id=county.pk)
        assert not created and again.pk == attempt.pk
    assert Attempt.objects.filter(quiz=county).count() == 2


@COMMITTED
def test_outside_a_transaction_a_start_writes_in_one_statement_a_save_and_a_submission_prepared(
    world, clock
):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement start is PostgreSQL's (DATABASE_URL=postgres://...)")
    cat, _questions = bank(world, n=12)
    made = quiz(world, draws=[(cat, 10, 1)])
    member = world.a.member
    hot = connections[settings.HOT_DB_ALIAS]
    with CaptureQueriesContext(connection) as default, CaptureQueriesContext(hot) as prepared:
        attempt, created = quiz_services.start_attempt(member=member, quiz=made)
    writes = [q["sql"] for q in prepared.captured_queries if "INSERT" in q["sql"]]
    assert created and len(writes) == 1 and "UPDATE learning_question" in writes[0]
    sent = [q["sql"] for q in default.captured_queries + prepared.captured_queries]
    assert not any(sql in ("BEGIN", "COMMIT") for sql in sent), sent
    stored = AttemptAnswer.objects.filter(attempt=attempt).order_by("position")
    assert [_fields(s, SLOT_FIELDS) for s in attempt.paper] == [
        _fields(s, SLOT_FIELDS) for s in stored
    ]
    assert [(s.answer, s.version, s.saved_at, s.score) for s in stored] == [
        (None, 0, None, None)
    ] * 10
    assert _fields(attempt, ATTEMPT_FIELDS) == _fields(
        Attempt.objects.get(pk=attempt.pk), ATTEMPT_FIELDS
    )
    uses = dict(Question.objects.values_list("pk", "uses"))
    assert {pk for pk, n in uses.items() if n} == {s.question_id for s in stored}
    assert sum(uses.values()) == 10

    first = stored[0]
    with CaptureQueriesContext(connection) as default, CaptureQueriesContext(hot) as prepared:
        slot = quiz_services.save_own_answer(
            user=member.user,
            attempt_id=attempt.pk,
            question_id=first.question_id,
            answer=True,
            version=1,
        )
    # Every statement of the save's transaction on the hot connection.
    assert default.captured_queries == []
    assert [q["sql"] for q in prepared.captured_queries][-1] == "COMMIT"
    assert (slot.answer, slot.version, slot.saved_at) == (True, 1, NOW)
    again = AttemptAnswer.objects.get(pk=first.pk)
    assert (again.answer, again.version, again.saved_at) == (True, 1, NOW)

    with CaptureQueriesContext(connection) as default, CaptureQueriesContext(hot) as prepared:
        marked = quiz_services.submit_own_attempt(user=member.user, attempt_id=attempt.pk)
    # Every statement of the submission's transaction on the hot connection.
    assert default.captured_queries == []
    assert [q["sql"] for q in prepared.captured_queries][-1] == "COMMIT"
    assert marked.ended_by == "submitted" and len(marked.paper) == 10
    scores = AttemptAnswer.objects.filter(attempt=attempt).order_by("position")
    # The saved answer is right (the bank's statements are true); the unanswered score 0.
    assert list(scores.values_list("score", flat=True)) == [Decimal(1)] + [Decimal(0)] * 9
