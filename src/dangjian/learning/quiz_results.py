"""A quiz's results (issue 19, point 7), read in a fixed number of queries whatever the
number of members and attempts, and handed to the pure figures of `learning.stats`: the
distribution of the members' grades, participation and pass rate per branch, county and
sector, each question's facility and discrimination, and each member's history. The
console page, the API and the XLSX export all show this one object."""

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core.replica import reading_from_replica
from dangjian.core.spreadsheets import xlsx_row
from dangjian.learning import grading, stats
from dangjian.learning.models import Attempt, AttemptAnswer, QuestionVersion, Quiz
from dangjian.learning.quiz_bank import question_spec
from dangjian.notifications import jobs
from dangjian.registry.models import SECTOR_NAMES, Member, Organization, User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The city is the root (depth 1); its children are the counties (区县).
COUNTY_DEPTH = 2


@dataclass(frozen=True)
class AttemptRow:
    id: int
    number: int
    finished_at: datetime
    grade: Decimal
    passed: bool


@dataclass
class MemberRow:
    member_id: int
    name: str
    branch: str
    county: str
    sector: str
    attempts: list[AttemptRow] = field(default_factory=list)
    grade: Decimal | None = None
    passed: bool = False


@dataclass(frozen=True)
class GroupRow:
    name: str
    result: stats.GroupResult


@dataclass(frozen=True)
class QuestionRow:
    question_id: int
    stem: str
    stats: stats.QuestionStats


@dataclass(frozen=True)
class QuizResults:
    quiz: Quiz
    members: list[MemberRow]
    overall: stats.GroupResult
    distribution: list[stats.Bucket]
    by_branch: list[GroupRow]
    by_county: list[GroupRow]
    by_sector: list[GroupRow]
    questions: list[QuestionRow]


def _groups(members: list[MemberRow], key) -> list[GroupRow]:
    results = [stats.MemberResult(m.member_id, key(m), m.grade, m.passed) for m in members]
    return [GroupRow(name, r) for name, r in sorted(stats.group_results(results).items())]


def quiz_results(quiz: Quiz) -> QuizResults:
    """Five queries: the members the quiz reaches, the finished attempts (with their
    members, who may have moved away since), the counties, the question versions given,
    and each finished attempt's answers as plain rows."""
    members: dict[int, MemberRow] = {}
    branch_paths: dict[int, str] = {}
    fields = ("id", "name", "branch__name", "branch__path", "branch__sector")

    def add(pk, name, branch, path, sector) -> None:
        if pk not in members:
            members[pk] = MemberRow(pk, name, branch, "", SECTOR_NAMES.get(sector, sector))
            branch_paths[pk] = path

    for row in (
        Member.objects.active().filter(branch__path__startswith=quiz.org.path).values_list(*fields)
    ):
        add(*row)
    attempts = Attempt.objects.filter(quiz=quiz, finished_at__isnull=False).order_by(
        "member_id", "number"
    )
    for row in attempts.values_list(
        "id", "number", "finished_at", "grade", "passed", *(f"member__{f}" for f in fields)
    ):
        add(*row[5:])
        members[row[5]].attempts.append(AttemptRow(*row[:5]))

    step = Organization.steplen
    counties = dict(
        Organization.objects.filter(
            depth=COUNTY_DEPTH,
            path__in={p[: step * COUNTY_DEPTH] for p in branch_paths.values()},
        ).values_list("path", "name")
    )
    grades: dict[int, Decimal] = {}
    for pk, member in members.items():
        member.county = counties.get(branch_paths[pk][: step * COUNTY_DEPTH], "")
        grades.update((a.id, a.grade) for a in member.attempts)
        member.grade = grading.quiz_grade(
            [grading.AttemptGrade(a.number, a.grade) for a in member.attempts],
            quiz.grading_method,
        )
        member.passed = member.grade is not None and grading.passes(member.grade, quiz.pass_mark)

    finished = {"attempt__quiz": quiz, "attempt__finished_at__isnull": False}
    versions = {
        v.pk: v
        for v in QuestionVersion.objects.filter(
            pk__in=AttemptAnswer.objects.filter(**finished).values("question_version_id")
        )
    }
    # Plain rows and one marking per distinct (version, answer): a city's attempts give
    # the same few answers to each question many times over.
    credits: dict[tuple[int, str], Fraction] = {}
    answer_rows, stems = [], {}
    for attempt_id, question_id, version_id, answer in AttemptAnswer.objects.filter(
        **finished
    ).values_list("attempt_id", "question_id", "question_version_id", "answer"):
        key = (version_id, repr(answer))
        if key not in credits:
            credits[key] = grading.credit(question_spec(versions[version_id]), answer)
        answer_rows.append(stats.AnswerRow(attempt_id, question_id, credits[key]))
    for version in sorted(versions.values(), key=lambda v: v.number):
        stems[version.question_id] = version.stem  # the newest version given
    per_question = stats.question_stats(answer_rows, grades)

    rows = sorted(members.values(), key=lambda m: (m.county, m.branch, m.name, m.member_id))
    by_branch = _groups(rows, lambda m: m.branch)
    return QuizResults(
        quiz=quiz,
        members=rows,
        overall=stats.overall({g.name: g.result for g in by_branch}),
        distribution=stats.distribution(m.grade for m in rows if m.grade is not None),
        by_branch=by_branch,
        by_county=_groups(rows, lambda m: m.county),
        by_sector=_groups(rows, lambda m: m.sector),
        questions=[QuestionRow(pk, stems[pk], s) for pk, s in sorted(per_question.items())],
    )


def results_for(actor: User, quiz: Quiz) -> QuizResults:
    """The results, for the admins of the quiz's organization (404 for anyone else)."""
    if not permissions.is_admin_over(actor, quiz.org):
        raise permissions.not_found()
    return quiz_results(quiz)


def _percent(value) -> str:
    return "" if value is None else f"{value}%"


def _sheet(wb, title: str, header: list, rows) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append(xlsx_row(ws, header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = 16
    for row in rows:
        ws.append(xlsx_row(ws, row))


@reading_from_replica()
def export_results(*, actor: User, quiz: Quiz, job=None) -> tuple[bytes, str, str]:
    """The results as a workbook: groups, questions and members, one sheet each. Audited,
    as every export of members' data is. Counted on `job`, if any (build_results_export):
    the results gathered, then the workbook written."""
    from openpyxl import Workbook

    jobs.begin(job, total=2)
    results = results_for(actor, quiz)
    jobs.advance(job, 1)
    wb = Workbook()
    wb.remove(wb.active)
    group_header = [
        _("名称"),
        _("应考人数"),
        _("参考人数"),
        _("通过人数"),
        _("参考率"),
        _("通过率"),
    ]

    def group_rows(groups):
        for g in groups:
            r = g.result
            yield [
                g.name,
                r.members,
                r.took,
                r.passed,
                _percent(r.participation),
                _percent(r.pass_rate),
            ]

    _sheet(wb, _("按县区"), group_header, group_rows(results.by_county))
    _sheet(wb, _("按支部"), group_header, group_rows(results.by_branch))
    _sheet(wb, _("按领域"), group_header, group_rows(results.by_sector))
    _sheet(
        wb,
        _("试题分析"),
        [_("题号"), _("题干"), _("作答次数"), _("难度（正确率）"), _("区分度")],
        (
            [
                q.question_id,
                q.stem,
                q.stats.attempts,
                _percent(q.stats.facility),
                q.stats.discrimination,
            ]
            for q in results.questions
        ),
    )
    _sheet(
        wb,
        _("成员成绩"),
        [_("姓名"), _("县区"), _("支部"), _("领域"), _("作答次数"), _("成绩"), _("是否通过")],
        (
            [
                m.name,
                m.county,
                m.branch,
                m.sector,
                len(m.attempts),
                m.grade,
                "" if m.grade is None else (_("通过") if m.passed else _("未通过")),
            ]
            for m in results.members
        ),
    )
    buf = io.BytesIO()
    wb.save(buf)
    audit.record(
        actor=actor,
        action="quiz.results_export",
        obj=quiz,
        org=quiz.org,
        after={"members": len(results.members)},
    )
    jobs.advance(job, 1)
    return buf.getvalue(), f"{quiz.title}-{_('测试成绩')}.xlsx", XLSX_TYPE


def start_results_export(*, actor: User, quiz: Quiz):
    """The click on "生成导出文件": the results workbook built in the background as a job of
    the actor's (notifications.export_files), ended with its download link."""
    from dangjian.notifications import export_files

    if not permissions.is_admin_over(actor, quiz.org):
        raise permissions.not_found()
    return export_files.start_export(
        actor=actor,
        kind="quiz_results_export",
        target_id=quiz.pk,
        title=_("导出测试成绩：%s") % quiz.title,
        org=quiz.org,
    )


def build_results_export(job, quiz_id: int) -> tuple[bytes, str, str]:
    """The export job's builder (notifications.export_files), the asker checked again."""
    quiz = Quiz.objects.select_related("org").filter(pk=quiz_id).first()
    if quiz is None:
        raise permissions.not_found()
    return export_results(actor=job.actor, quiz=quiz, job=job)


def by_member(results: QuizResults) -> dict[int, MemberRow]:
    return {m.member_id: m for m in results.members}


def history_of(member: Member) -> list[tuple[Quiz, list[Attempt]]]:
    """A member's finished attempts, quiz by quiz (newest quiz first): two queries."""
    attempts = (
        Attempt.objects.filter(member=member, finished_at__isnull=False)
        .select_related("quiz")
        .order_by("-quiz__created_at", "-quiz_id", "number")
    )
    grouped: dict[int, list[Attempt]] = defaultdict(list)
    quizzes: dict[int, Quiz] = {}
    for attempt in attempts:
        grouped[attempt.quiz_id].append(attempt)
        quizzes[attempt.quiz_id] = attempt.quiz
    return [(quizzes[pk], grouped[pk]) for pk in quizzes]
