"""The rows a quiz attempt's start, saves and submission read and write, by hand (issue 19;
the month's peak: docs/performance.md, "The monthly quiz peak"). The rules stay where they
are (draw, grading, timing, permissions); quiz_services decides with them and calls these.
Each read is one statement whatever the paper's size; on PostgreSQL a start sends two
reads and one write (the attempt, its slots, the questions' uses), a save two reads and
one write, a submission two reads and one write (the slots' scores, the attempt's marks);
on SQLite more, in a transaction.
Written by hand because the ORM's compilation of the same statements cost a start and a
submission more than the rest of their work together. On PostgreSQL the reads go through a
cursor and Model.from_db (`_built`), elsewhere through Manager.raw, so that each field is
converted as the ORM converts it. tests/learning/test_quiz_start.py checks every statement
against the models' reading."""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from dangjian.core.db import hot_connection
from dangjian.learning import draw
from dangjian.learning.models import Attempt, AttemptAnswer, QuestionVersion, Quiz
from dangjian.registry.models import Member, Organization, User

# What a start needs to know, in one statement: the member's attempts at the quiz (3), the
# quiz's fixed questions (0), its draw rules (1) and the active questions of the rules'
# categories (2), each row (kind, a, b, c, d, e):
#   3: attempt id, number, 1 when finished (else 0), 0, 0
#   0: question id, points, position, row id, current version
#   1: category id, points, position, row id, count
#   2: question id, category id, uses, 0, current version
# Read by hand: the ORM's four queries cost a start more than the rest of its reads
# (docs/performance.md, "The monthly quiz peak"); tests/learning/test_quiz_start.py checks
# it against the models' reading.
START_SQL = """
SELECT 3, a.id, a.number, CASE WHEN a.finished_at IS NULL THEN 0 ELSE 1 END, 0, 0
FROM learning_attempt a WHERE a.quiz_id = %(quiz)s AND a.member_id = %(member)s
UNION ALL
SELECT 0, f.question_id, f.points, f.position, f.id, q.current_id
FROM learning_quizquestion f JOIN learning_question q ON q.id = f.question_id
WHERE f.quiz_id = %(quiz)s
UNION ALL
SELECT 1, r.category_id, r.points, r.position, r.id, r.count
FROM learning_quizdrawrule r WHERE r.quiz_id = %(quiz)s
UNION ALL
SELECT 2, q.id, q.category_id, q.uses, 0, q.current_id
FROM learning_question q
WHERE q.is_active AND q.category_id IN (
    SELECT r.category_id FROM learning_quizdrawrule r WHERE r.quiz_id = %(quiz)s)
"""


@dataclass(frozen=True)
class StartFacts:
    """What a start is decided and drawn from: the member's attempts at the quiz (id,
    whether finished), the fixed questions (question id, points, current version) and the
    draw rules (category id, count, points), each in the quiz's order, and the bank the
    rules draw from, with each question's current version."""

    attempts: list[tuple[int, bool]]
    fixed: list[tuple[int, int, int]]
    rules: list[tuple[int, int, int]]
    bank: list[draw.BankQuestion]
    current: dict[int, int]


def start_facts(member: Member, quiz: Quiz) -> StartFacts:
    # On the hot connection (core.db.hot_connection), prepared: every start runs it.
    with hot_connection().cursor() as cursor:
        cursor.execute(START_SQL, {"quiz": quiz.pk, "member": member.pk})
        return _facts(cursor.fetchall())


def _facts(rows) -> StartFacts:
    # By kind, then the quiz's order (position, row id); attempts by number.
    rows = sorted(rows, key=lambda row: (3, row[2]) if row[0] == 3 else (row[0], row[3], row[4]))
    attempts, fixed, rules, bank, current = [], [], [], [], {}
    for kind, a, b, c, _d, e in rows:
        if kind == 3:
            attempts.append((a, bool(c)))
        elif kind == 0:
            fixed.append((a, b, e))
            current[a] = e
        elif kind == 1:
            rules.append((a, e, b))
        else:
            bank.append(draw.BankQuestion(a, b, c))
            current[a] = e
    return StartFacts(attempts, fixed, rules, bank, current)


# What a new attempt's answer shows of its questions (no right answers: it is in progress).
VERSION_FIELDS = ("id", "question_id", "number", "kind", "stem", "options")
VERSIONS_SQL = (
    f"SELECT {', '.join(VERSION_FIELDS)} FROM learning_questionversion WHERE id IN ({{ids}})"  # noqa: S608
)


def marks(values: list) -> str:
    """The placeholders of a list of parameters (a paper has at least one question)."""
    return ", ".join(["%s"] * len(values))


def versions(ids: list[int]) -> dict[int, QuestionVersion]:
    """The question versions `ids`, by id, with the fields a new attempt's answer shows
    (Model.from_db: the others load if ever touched); on the hot connection, prepared."""
    options = QuestionVersion._meta.get_field("options")
    with hot_connection().cursor() as cursor:
        cursor.execute(VERSIONS_SQL.format(ids=marks(ids)), ids)
        rows = cursor.fetchall()
    found = {}
    for row in rows:
        # The JSON as the field reads it (its own decoding); the instance is the default
        # connection's, as the ORM's would be.
        values = [*row[:5], options.from_db_value(row[5], None, connection)]
        found[row[0]] = QuestionVersion.from_db(connection.alias, VERSION_FIELDS, values)
    return found


def _columns(model, alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def _built(model, row, start: int = 0):
    """An instance of `model` (the default connection's, as the ORM's) from its concrete
    fields' values in `row` from `start`, as PostgreSQL's driver gave them; the end of
    its values."""
    fields = model._meta.concrete_fields
    end = start + len(fields)
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, row[start:end], strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in fields], values), end


# The quiz with its organization's path, and the caller's member record with their
# branch's path: what decides whether the quiz reaches them (permissions.quiz_reaches).
REACH_SQL = """
SELECT q.*, o.path AS reach_org_path, m.id AS reach_member_id,
       m.branch_id AS reach_branch_id, b.path AS reach_branch_path
FROM learning_quiz q
JOIN registry_organization o ON o.id = q.org_id
LEFT JOIN registry_member m ON m.user_id = %s AND m.is_active
LEFT JOIN registry_organization b ON b.id = m.branch_id
WHERE q.id = %s
"""


# On PostgreSQL the reach and the start's facts (START_SQL, for the member found, as one
# JSON array of its rows, as text, whatever loader the driver has for JSON) in one
# statement on the hot connection, prepared.
REACH_AT_ONCE_SQL = f"""
SELECT {_columns(Quiz, "q")}, o.path, m.id, m.branch_id, b.path, (
    SELECT json_agg(json_build_array(f.kind, f.a, f.b, f.c, f.d, f.e))::text
    FROM ({START_SQL.replace("%(member)s", "m.id")}) AS f(kind, a, b, c, d, e)
)
FROM learning_quiz q
JOIN registry_organization o ON o.id = q.org_id
LEFT JOIN registry_member m ON m.user_id = %(user)s AND m.is_active
LEFT JOIN registry_organization b ON b.id = m.branch_id
WHERE q.id = %(quiz)s
"""  # noqa: S608 - the columns are the models'


def reached(user: User, quiz_id: int) -> tuple[Quiz, Member, StartFacts | None] | None:
    """The quiz `quiz_id` with its organization, and the user's active member record with
    their branch, as permissions.quiz_reaches reads them (the organizations' and the
    member's other fields load if ever touched), and on PostgreSQL the start's facts, read
    with them (else None: `start_facts` reads them); None without quiz or member."""
    db = connection.alias
    facts = None
    hot = hot_connection()
    if hot.vendor == "postgresql":
        with hot.cursor() as cursor:
            cursor.execute(REACH_AT_ONCE_SQL, {"user": user.pk, "quiz": quiz_id})
            row = cursor.fetchone()
        if row is None or row[-4] is None:
            return None
        quiz, end = _built(Quiz, row)
        quiz.reach_org_path, quiz.reach_member_id = row[end], row[end + 1]
        quiz.reach_branch_id, quiz.reach_branch_path = row[end + 2], row[end + 3]
        facts = _facts(json.loads(row[end + 4] or "[]"))
    else:
        found = list(Quiz.objects.raw(REACH_SQL, [user.pk, quiz_id]))
        if not found or found[0].reach_member_id is None:
            return None
        quiz = found[0]
    quiz.org = Organization.from_db(db, ["id", "path"], [quiz.org_id, quiz.reach_org_path])
    branch = [quiz.reach_branch_id, quiz.reach_branch_path]
    member = Member.from_db(
        db,
        ["id", "user_id", "branch_id", "is_active"],
        [quiz.reach_member_id, user.pk, branch[0], True],
    )
    member.branch = Organization.from_db(db, ["id", "path"], branch)
    return quiz, member, facts


# The start's writes, by hand as its read: the ORM's insert, bulk insert and update cost
# more than the statements themselves (docs/performance.md, "The monthly quiz peak").
# tests/learning/test_quiz_start.py checks what they write against the models' reading.
ATTEMPT_SQL = """
INSERT INTO learning_attempt
    (quiz_id, member_id, number, seed, started_at, deadline, ended_by, maximum)
VALUES (%s, %s, %s, %s, %s, %s, '', 0) RETURNING id
"""
SLOTS_SQL = """
INSERT INTO learning_attemptanswer
    (attempt_id, question_id, question_version_id, position, points, option_order, version)
VALUES {rows}
"""
SLOT_ROW = "(%s, %s, %s, %s, %s, %s, 0)"
# One more use of each question. The subquery locks the rows in one order (by id), so
# that two starts counting overlapping questions wait for each other instead of
# deadlocking; the locks are held only until the commit that follows.
USES_SQL = """
UPDATE learning_question SET uses = uses + 1
WHERE id IN (SELECT id FROM learning_question WHERE id IN ({ids}) ORDER BY id{lock})
"""


# On PostgreSQL the three writes are one statement (data-modifying WITH queries, the slots
# as one JSON document read by jsonb_to_recordset): outside a transaction it commits
# alone, with no BEGIN or COMMIT sent, and its parameters are the same few whatever the
# paper's size, so that psycopg prepares it once; one JSON document costs the web process
# less to send than the slots' columns as five arrays, each element adapted by psycopg in
# Python. The uses are locked in id order as in USES_SQL.
START_WRITE_SQL = """
WITH paper AS (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS s(
        question_id bigint, version_id bigint, position smallint, points smallint,
        option_order jsonb)
), attempt AS (
    INSERT INTO learning_attempt
        (quiz_id, member_id, number, seed, started_at, deadline, ended_by, maximum)
    VALUES (%s, %s, %s, %s, %s, %s, '', 0) RETURNING id
), slots AS (
    INSERT INTO learning_attemptanswer
        (attempt_id, question_id, question_version_id, position, points, option_order, version)
    SELECT attempt.id, p.question_id, p.version_id, p.position, p.points, p.option_order, 0
    FROM attempt, paper p
), uses AS (
    UPDATE learning_question SET uses = uses + 1
    WHERE id IN (
        SELECT id FROM learning_question WHERE id IN (SELECT question_id FROM paper)
        ORDER BY id FOR UPDATE)
)
SELECT id FROM attempt
"""


def write_start(db, attempt: Attempt, slots: list[AttemptAnswer]) -> None:
    """Insert the attempt and its slots, and count the questions' uses, on the connection
    `db`: one statement on PostgreSQL, atomic by itself; three elsewhere, in a transaction
    the caller holds. The attempt comes back as the default connection's, as the ORM's
    would."""
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            _write_start_at_once(db, cursor, attempt, slots)
        else:
            _write_start(db, cursor, attempt, slots)
    attempt._state.adding, attempt._state.db = False, connection.alias


def _attempt_params(db, attempt: Attempt) -> list:
    moment = Attempt._meta.get_field("started_at")
    return [
        attempt.quiz_id,
        attempt.member_id,
        attempt.number,
        attempt.seed,
        moment.get_db_prep_save(attempt.started_at, db),
        moment.get_db_prep_save(attempt.deadline, db),
    ]


def _write_start_at_once(db, cursor, attempt: Attempt, slots: list[AttemptAnswer]) -> None:
    paper = [
        {
            "question_id": slot.question_id,
            "version_id": slot.question_version_id,
            "position": slot.position,
            "points": slot.points,
            "option_order": slot.option_order,
        }
        for slot in slots
    ]
    cursor.execute(START_WRITE_SQL, [json.dumps(paper), *_attempt_params(db, attempt)])
    attempt.pk = cursor.fetchone()[0]
    for slot in slots:
        slot.attempt = attempt


def _write_start(db, cursor, attempt: Attempt, slots: list[AttemptAnswer]) -> None:
    cursor.execute(ATTEMPT_SQL, _attempt_params(db, attempt))
    attempt.pk = cursor.fetchone()[0]
    order = AttemptAnswer._meta.get_field("option_order")
    params = []
    for slot in slots:
        slot.attempt = attempt
        params += [
            attempt.pk,
            slot.question_id,
            slot.question_version_id,
            slot.position,
            slot.points,
            order.get_db_prep_save(slot.option_order, db),
        ]
    cursor.execute(SLOTS_SQL.format(rows=", ".join([SLOT_ROW] * len(slots))), params)
    ids = [slot.question_id for slot in slots]
    lock = " FOR UPDATE" if db.features.has_select_for_update else ""
    cursor.execute(USES_SQL.format(ids=marks(ids), lock=lock), ids)


# The marks, by hand as the start's writes: the slots' scores in one statement with one
# branch per score given (most papers: right or wrong; bulk_update's has one per slot),
# then the attempt's; on PostgreSQL both in one statement, the scores as arrays (the same
# statement whatever the paper, prepared once). tests/learning/test_quiz_start.py checks
# them against the models.
SCORES_SQL = "UPDATE learning_attemptanswer SET score = CASE {branches} END WHERE attempt_id = %s"
SCORE_BRANCH = "WHEN id IN ({ids}) THEN %s"
MARKS_SQL = """
UPDATE learning_attempt
SET finished_at = %s, ended_by = %s, score = %s, maximum = %s, grade = %s, passed = %s
WHERE id = %s
"""
MARKS_AT_ONCE_SQL = """
WITH scores AS (
    UPDATE learning_attemptanswer s SET score = given.score
    FROM unnest(%s::bigint[], %s::numeric[]) AS given(id, score)
    WHERE s.id = given.id
)
UPDATE learning_attempt
SET finished_at = %s, ended_by = %s, score = %s, maximum = %s, grade = %s, passed = %s
WHERE id = %s
"""


def write_marks(db, attempt: Attempt, by_score: dict[Decimal, list[int]]) -> None:
    """The slots' scores and the attempt's marks, on the connection `db`, in the
    transaction the caller holds."""
    fields = Attempt._meta
    points = AttemptAnswer._meta.get_field("score")
    names = ("finished_at", "ended_by", "score", "maximum", "grade", "passed")
    values = [fields.get_field(n).get_db_prep_save(getattr(attempt, n), db) for n in names]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            ids, scores = [], []
            for score, given in by_score.items():
                ids += given
                scores += [points.get_db_prep_save(score, db)] * len(given)
            cursor.execute(MARKS_AT_ONCE_SQL, [ids, scores, *values, attempt.pk])
            return
        if by_score:
            branches, params = [], []
            for score, given in by_score.items():
                branches.append(SCORE_BRANCH.format(ids=marks(given)))
                params += [*given, points.get_db_prep_save(score, db)]
            cursor.execute(SCORES_SQL.format(branches=" ".join(branches)), [*params, attempt.pk])
        cursor.execute(MARKS_SQL, [*values, attempt.pk])


# A submission's reads: the attempt under lock with what its permission asks of its member
# (locking it alone: its quiz and member are not written), its quiz, and its slots with the
# versions given. On PostgreSQL two statements, read with a cursor and built with
# Model.from_db: its driver gives every column as the model holds it but for the fields
# with a from_db_value (JSON), which is the only conversion the ORM applies there
# (`_built`). Elsewhere four through Manager.raw, whose converters the backend needs
# (SQLite's dates and decimals are text); select_related's one cost more.
LOCKED_SQL = """
SELECT a.*, m.user_id AS owner_user_id, m.is_active AS owner_is_active
FROM learning_attempt a JOIN registry_member m ON m.id = a.member_id
WHERE a.id = %s{lock}
"""
QUIZ_SQL = "SELECT * FROM learning_quiz WHERE id = %s"
SLOTS_READ_SQL = "SELECT * FROM learning_attemptanswer WHERE attempt_id = %s ORDER BY position"
GIVEN_SQL = """
SELECT v.* FROM learning_questionversion v WHERE v.id IN (
    SELECT s.question_version_id FROM learning_attemptanswer s WHERE s.attempt_id = %s)
"""


LOCKED_AT_ONCE_SQL = f"""
SELECT {_columns(Attempt, "a")}, m.user_id, m.is_active, {_columns(Quiz, "q")}
FROM learning_attempt a
JOIN registry_member m ON m.id = a.member_id
JOIN learning_quiz q ON q.id = a.quiz_id
WHERE a.id = %s FOR UPDATE OF a
"""  # noqa: S608 - the columns are the models'
# A slot with the version it was given (`_slot_with_version` builds both from a row).
SLOT_COLUMNS = f"""
SELECT {_columns(AttemptAnswer, "s")}, {_columns(QuestionVersion, "v")}
FROM learning_attemptanswer s
JOIN learning_questionversion v ON v.id = s.question_version_id
"""  # noqa: S608 - the columns are the models'
PAPER_AT_ONCE_SQL = SLOT_COLUMNS + "WHERE s.attempt_id = %s ORDER BY s.position"


def _as_default(*instances) -> None:
    # Read on the connection `db`, the instances belong to the default one, as the ORM's.
    for instance in instances:
        instance._state.db = connection.alias


def locked_attempt(attempt_id: int, db=connection) -> Attempt | None:
    """The attempt `attempt_id` read under lock on the connection `db` (in the transaction
    the caller holds), with its quiz and, of its member, what the permission reads (the
    member's other fields, and the quiz's organization, load if ever touched); None when
    there is none."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(LOCKED_AT_ONCE_SQL, [attempt_id])
            row = cursor.fetchone()
        if row is None:
            return None
        attempt, end = _built(Attempt, row)
        owner = [attempt.member_id, row[end], row[end + 1]]
        attempt.quiz = _built(Quiz, row, end + 2)[0]
    else:
        lock = " FOR UPDATE OF a" if db.features.has_select_for_update_of else ""
        found = list(
            Attempt.objects.raw(LOCKED_SQL.format(lock=lock), [attempt_id], using=db.alias)
        )
        if not found:
            return None
        attempt = found[0]
        _as_default(attempt)
        owner = [attempt.member_id, attempt.owner_user_id, bool(attempt.owner_is_active)]
        quiz = list(Quiz.objects.raw(QUIZ_SQL, [attempt.quiz_id], using=db.alias))[0]
        _as_default(quiz)
        attempt.quiz = quiz
    attempt.member = Member.from_db(connection.alias, ["id", "user_id", "is_active"], owner)
    return attempt


def paper(attempt: Attempt, db=connection) -> list[AttemptAnswer]:
    """The attempt's slots in order, each with the version it was given, read on `db`."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(PAPER_AT_ONCE_SQL, [attempt.pk])
            rows = cursor.fetchall()
        return [_slot_with_version(row) for row in rows]
    slots = list(AttemptAnswer.objects.raw(SLOTS_READ_SQL, [attempt.pk], using=db.alias))
    versions = QuestionVersion.objects.raw(GIVEN_SQL, [attempt.pk], using=db.alias)
    given = {v.pk: v for v in versions}
    _as_default(*slots, *given.values())
    for slot in slots:
        slot.question_version = given[slot.question_version_id]
    return slots


# A save's slot under lock with the version it was given (the attempt is locked first, by
# locked_attempt), and its write: on PostgreSQL by cursor as the submission's reads,
# elsewhere through the ORM.
SLOT_AT_ONCE_SQL = SLOT_COLUMNS + "WHERE s.attempt_id = %s AND s.question_id = %s FOR UPDATE OF s"
SAVE_SQL = """
UPDATE learning_attemptanswer SET answer = %s, version = %s, saved_at = %s WHERE id = %s
"""


def locked_slot(attempt: Attempt, question_id: int, db=connection) -> AttemptAnswer | None:
    """The attempt's slot of the question `question_id` under lock on `db`, with its
    version; None when the paper has no such question."""
    if db.vendor != "postgresql":
        return (
            AttemptAnswer.objects.using(db.alias)
            .select_for_update()
            .select_related("question_version")
            .filter(attempt=attempt, question_id=question_id)
            .first()
        )
    with db.cursor() as cursor:
        cursor.execute(SLOT_AT_ONCE_SQL, [attempt.pk, question_id])
        row = cursor.fetchone()
    return None if row is None else _slot_with_version(row)


def _slot_with_version(row) -> AttemptAnswer:
    # A row of SLOT_COLUMNS: the slot's columns, then its version's.
    slot, end = _built(AttemptAnswer, row)
    slot.question_version = _built(QuestionVersion, row, end)[0]
    return slot


def write_save(db, slot: AttemptAnswer) -> None:
    """The slot's answer, version and time saved, on `db`, in the caller's transaction."""
    fields = AttemptAnswer._meta
    names = ("answer", "version", "saved_at")
    values = [fields.get_field(n).get_db_prep_save(getattr(slot, n), db) for n in names]
    with db.cursor() as cursor:
        cursor.execute(SAVE_SQL, [*values, slot.pk])
