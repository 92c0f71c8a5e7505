"""The demo's year of learning: for each past month the city's study package (学习套餐),
published and pushed on the month's first day through the real services with the clock
moved there (`history.moved_clock`): three new required articles (`learning_texts`,
written by the organization department's editor and published by the city admin) and the
month's quiz drawn from a small bank of its own. Then the members' part, written in bulk
as the services leave it (`learning.services.finish_reading`, `quiz_services.start_attempt`
and its marking): a counted reading per article read, one attempt per member who took the
quiz, its paper drawn and its options ordered by the attempt's seed as a start draws them,
each answer saved and scored, the attempt submitted and marked (the questions' uses
counted as the starts count them).

Only members who activated their account take part. Each branch has its own diligence
(good, average, struggling), varied a little each month, so that package completion runs
from about 40 % to 95 % across branches; the demo member (李秀英) studies every month.
A month whose package is there is left alone, so a second seed changes nothing."""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core import bulk, clock
from dangjian.demodata.history import moved_clock
from dangjian.demodata.learning import editor_account
from dangjian.demodata.learning_texts import HISTORY_BANK, HISTORY_DRAWS, MONTHLY_ARTICLES
from dangjian.demodata.packages import publish_month_package
from dangjian.learning import attempt_sql, draw, grading, packages, quiz_bank, quiz_services
from dangjian.learning import services as learning
from dangjian.learning.models import (
    Attempt,
    AttemptAnswer,
    AttemptEnd,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    Reading,
    StudyPackage,
)
from dangjian.learning.quiz_bank import question_spec
from dangjian.registry.invitations import activated_q
from dangjian.registry.models import Member, Organization, OrgKind, User
from dangjian.scoring.formula import round_half_up

DEMO_MEMBER_PHONE = "13900000004"
# A branch's diligence: (share of branches, the usual share of its members who study the
# whole package, the chance one of them answers a question right). The others read a part
# of it, and some of them try the quiz.
TIERS = (
    (0.3, 0.96, 0.9),  # good
    (0.45, 0.82, 0.85),  # average
    (0.25, 0.62, 0.78),  # struggling
)
TIME_LIMIT = timedelta(minutes=20)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime(hour)))


def _month_after(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _bank(city_admin: User, root: Organization, at: datetime) -> list[QuestionCategory]:
    """The past quizzes' categories, made with their questions when first needed."""
    categories = []
    with moved_clock(at):
        for name, questions in HISTORY_BANK:
            category = QuestionCategory.objects.filter(org=root, name=name).first()
            if category is None:
                category = quiz_bank.create_category(actor=city_admin, org=root, name=name)
                for content in questions:
                    quiz_bank.create_question(actor=city_admin, category=category, content=content)
            categories.append(category)
    return categories


def _publish_month(
    *,
    root: Organization,
    city_admin: User,
    editor: User,
    month: date,
    texts: list,
    categories: list[QuestionCategory],
) -> StudyPackage:
    """The month's articles, quiz and package, published and pushed on its first
    morning."""
    columns = learning.ensure_default_columns()
    with moved_clock(_at(month, 9)):
        articles = []
        for code, title, source, paragraphs in texts:
            article = learning.create_article(
                actor=editor,
                org=root,
                column=columns[code],
                title=title,
                body="".join(f"<p>{p}</p>" for p in paragraphs),
                source=source,
            )
            learning.submit_article(actor=editor, article=article)
            articles.append(learning.publish_article(actor=city_admin, article=article))
        package = publish_month_package(
            city_admin=city_admin,
            root=root,
            month=month,
            articles=articles,
            draws=[
                quiz_services.CategoryDraw(category, count, 20)
                for category, count in zip(categories, HISTORY_DRAWS, strict=True)
            ],
            opens_at=_at(month, 0),
            closes_at=_at(_month_after(month), 0),
            time_limit=TIME_LIMIT,
        )
        packages.push_package(actor=city_admin, package=package)
    return package


def _members(root: Organization) -> dict[int, list[int]]:
    """Branch id → its active members who activated their account, the demo member's
    branch included."""
    branches: dict[int, list[int]] = defaultdict(list)
    for pk, branch_id in (
        Member.objects.filter(
            activated_q(),
            branch__path__startswith=root.path,
            branch__kind=OrgKind.BRANCH,
            is_active=True,
        )
        .order_by("branch_id", "pk")
        .values_list("pk", "branch_id")
    ):
        branches[branch_id].append(pk)
    return branches


def _diligence(branch_ids: list[int], seed: int) -> dict[int, tuple[float, float]]:
    rng = random.Random(f"{seed}:learning:branches")
    out = {}
    for pk in sorted(branch_ids):
        pick, total, tier = rng.random(), 0.0, TIERS[-1]
        for tier in TIERS:
            total += tier[0]
            if pick < total:
                break
        out[pk] = tier[1:]
    return out


def _answer(spec: grading.QuestionSpec, right: bool, rng: random.Random):
    """A saved answer as the save stores it: right, or a plausible wrong one."""
    if spec.kind == grading.QuestionType.TRUE_FALSE:
        return spec.truth if right else not spec.truth
    if spec.kind == grading.QuestionType.SINGLE:
        if right:
            return sorted(spec.correct)[0]
        return rng.choice([k for k in spec.options if k not in spec.correct])
    if right:
        return sorted(spec.correct)
    # A multiple choice half known: one right option left out.
    return sorted(spec.correct)[1:] or [k for k in spec.options if k not in spec.correct][:1]


READING_COLUMNS = ("member_id", "article_id", "opened_at", "finished_at", "counted_at", "seconds")
ATTEMPT_COLUMNS = (
    "id",
    "quiz_id",
    "member_id",
    "number",
    "seed",
    "started_at",
    "deadline",
    "finished_at",
    "ended_by",
    "score",
    "maximum",
    "grade",
    "passed",
)
ANSWER_COLUMNS = (
    "attempt_id",
    "question_id",
    "question_version_id",
    "position",
    "points",
    "option_order",
    "answer",
    "version",
    "saved_at",
    "score",
)


def _write(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (attribute values in the order of `names`): COPY on PostgreSQL
    (`core.bulk`), elsewhere one prepared INSERT run over all the rows, the values
    prepared as the ORM prepares them (its bulk_create would spend most of the seed's
    learning time building statements)."""
    if connection.vendor == "postgresql":
        bulk.insert_rows(model, names, rows)
        return
    meta = model._meta
    fields = [
        meta.get_field(name.removesuffix("_id")) if name != "id" else meta.pk for name in names
    ]
    # JSONField's preparation on SQLite, without its per-value overhead.
    prepare = [
        (i, lambda v: None if v is None else json.dumps(v))
        for i, f in enumerate(fields)
        if f.get_internal_type() == "JSONField"
    ]
    moments = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    utc = connection.timezone

    def prepared(row: tuple) -> list:
        row = list(row)
        for i in moments:
            if row[i] is not None:
                row[i] = str(row[i].astimezone(utc).replace(tzinfo=None))
        for i, convert in prepare:
            row[i] = convert(row[i])
        return row

    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [prepared(row) for row in rows])


def _studies(
    *,
    package: StudyPackage,
    members: dict[int, list[int]],
    diligence: dict[int, tuple[float, float]],
    demo_member: int | None,
    seed: int,
    now: datetime,
) -> tuple[int, int]:
    """The month's readings and attempts, written in bulk. Returns (readings, attempts)."""
    month = package.month
    rng = random.Random(f"{seed}:learning:{month:%Y-%m}")
    articles = [item.article_id for item in package.items.order_by("position")]
    quiz: Quiz = package.quiz
    minimum = settings.LEARNING_MIN_READING_SECONDS
    facts = attempt_sql.start_facts(Member(pk=0), quiz)
    versions = {
        v.pk: v for v in QuestionVersion.objects.filter(pk__in=list(facts.current.values()))
    }
    specs: dict[tuple[int, int], grading.QuestionSpec] = {}
    # The points an answer earns, by question, points and answer (as saved).
    earned: dict[tuple[int, int, str], Fraction] = {}
    pass_mark = quiz.pass_mark
    rounded: dict[Fraction, Decimal] = {}
    grades: dict[tuple[Fraction, Fraction], Decimal] = {}

    def rounded_half_up(value: Fraction) -> Decimal:
        if value not in rounded:
            rounded[value] = round_half_up(value)
        return rounded[value]

    last_day = (_month_after(month) - timedelta(days=1)).day
    readings, attempts, papers = [], [], []
    for branch_id, member_ids in members.items():
        whole, right = diligence[branch_id]
        # The month's mood of the branch.
        mood = rng.uniform(-0.06, 0.04)
        for member_id in member_ids:
            keen = member_id == demo_member or rng.random() < whole + mood
            # Who does not study it all reads a part (or nothing) and now and then tries.
            part = rng.choice((0.0, 0.3, 0.6))
            day = month.replace(day=rng.randint(1, min(last_day, 25)))
            opened = _at(day, rng.choice((8, 12, 19, 20, 21))) + timedelta(
                minutes=rng.randint(0, 50)
            )
            for article_id in articles:
                if not keen and rng.random() >= part:
                    continue
                seconds = rng.randint(minimum, minimum * 6)
                done = opened + timedelta(seconds=seconds)
                finished = keen or rng.random() < 0.9
                if done >= now:
                    break
                readings.append(
                    (
                        member_id,
                        article_id,
                        opened,
                        done if finished else None,
                        done if finished else None,
                        min(seconds, learning.MAX_COUNTED_SECONDS) if finished else 0,
                    )
                )
                opened = done + timedelta(minutes=rng.randint(1, 30))
            if not keen and rng.random() > 0.35:
                continue
            started = opened + timedelta(minutes=rng.randint(2, 90))
            if started.date() >= _month_after(month):
                started = _at(month, 21).replace(day=last_day)
            finished_at = started + timedelta(
                minutes=rng.randint(4, 15), seconds=rng.randint(0, 59)
            )
            if finished_at >= now:
                continue
            attempt_seed = f"{rng.getrandbits(64):016x}"
            paper = quiz_services.draw_paper(facts, attempt_seed)
            slots = []
            score = maximum = Fraction(0)
            chance = 0.97 if member_id == demo_member else right + mood
            step = (finished_at - started) / (len(paper) + 1)
            for position, (question_id, points) in enumerate(paper, start=1):
                version = versions[facts.current[question_id]]
                spec = specs.get((question_id, points))
                if spec is None:
                    spec = specs[question_id, points] = question_spec(version, points=points)
                keys = [o["key"] for o in version.options]
                if quiz.shuffle_options and spec.kind in quiz_services.CHOICE_KINDS:
                    keys = list(draw.shuffle_options(keys, attempt_seed, question_id))
                answer = _answer(spec, rng.random() < chance, rng)
                key = (question_id, points, repr(answer))
                if key not in earned:
                    earned[key] = grading.grade_answer(spec, answer)
                score += earned[key]
                maximum += points
                slots.append(
                    [
                        None,
                        question_id,
                        version.pk,
                        position,
                        points,
                        keys,
                        answer,
                        1,
                        started + step * position,
                        rounded_half_up(earned[key]),
                    ]
                )
            if (score, maximum) not in grades:
                grades[score, maximum] = grading.percent_grade(score, maximum)
            grade = grades[score, maximum]
            attempts.append(
                [
                    None,
                    quiz.pk,
                    member_id,
                    1,
                    attempt_seed,
                    started,
                    min(started + TIME_LIMIT, quiz.closes_at),
                    finished_at,
                    AttemptEnd.SUBMITTED.value,
                    rounded_half_up(score),
                    rounded_half_up(maximum),
                    grade,
                    grading.passes(grade, pass_mark),
                ]
            )
            papers.append(slots)
    uses = Counter()
    with transaction.atomic():
        _write(Reading, READING_COLUMNS, readings)
        answers = []
        for attempt, pk, slots in zip(
            attempts, bulk.reserve_ids(Attempt, len(attempts)), papers, strict=True
        ):
            attempt[0] = pk
            for slot in slots:
                slot[0] = pk
                uses[slot[1]] += 1
            answers += slots
        _write(Attempt, ATTEMPT_COLUMNS, attempts)
        _write(AttemptAnswer, ANSWER_COLUMNS, answers)
        for question_id, count in uses.items():
            Question.objects.filter(pk=question_id).update(uses=F("uses") + count)
    return len(readings), len(attempts)


def seed_learning_history(
    *,
    root: Organization,
    city_admin: User,
    months: list[date],
    seed: int,
    progress: Callable[[str], None] = lambda _m: None,
) -> int:
    """The study packages of `months` (the past months, oldest first) with the members'
    readings and attempts; months with the city's package are skipped. Returns how many
    months were made."""
    done = set(
        StudyPackage.objects.filter(org=root, parent__isnull=True, month__in=months).values_list(
            "month", flat=True
        )
    )
    wanted = [m for m in months if m not in done]
    if not wanted:
        return 0
    editor = editor_account(city_admin, root)
    categories = _bank(city_admin, root, _at(months[0], 8))
    members = _members(root)
    diligence = _diligence(list(members), seed)
    demo = Member.objects.filter(user__phone=DEMO_MEMBER_PHONE).values_list("pk", flat=True)
    demo_member = demo.first()
    now = clock.now()
    readings = attempts = 0
    started = time.perf_counter()
    for month in wanted:
        package = _publish_month(
            root=root,
            city_admin=city_admin,
            editor=editor,
            month=month,
            texts=MONTHLY_ARTICLES[month.month - 1],
            categories=categories,
        )
        r, a = _studies(
            package=package,
            members=members,
            diligence=diligence,
            demo_member=demo_member,
            seed=seed,
            now=now,
        )
        readings += r
        attempts += a
    progress(
        f"learning: {len(wanted)} past months' study packages, "
        f"{readings} readings, {attempts} quiz attempts in {time.perf_counter() - started:.1f} s"
    )
    return len(wanted)
