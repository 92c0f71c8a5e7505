"""Writes for the question bank (issue 19, point 4): categories, questions with immutable
versions, and the bank's XLSX import (all or nothing, per-row errors, like the member
import, whose file reading and error report it reuses) and export. Keyword-only,
permission-checked, transactional and audited."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.core.spreadsheets import xlsx_row
from dangjian.learning.grading import QuestionSpec, QuestionType, question_problems
from dangjian.learning.models import (
    AttemptAnswer,
    Question,
    QuestionCategory,
    QuestionVersion,
)
from dangjian.permissions import Action
from dangjian.registry.imports.result import all_or_nothing, record_file
from dangjian.registry.imports.tables import XLSX_TYPE, Errors, raise_invalid, records
from dangjian.registry.models import Organization, User

CATEGORY_MAX_CHARS = 50
STEM_MAX_CHARS = 2000
OPTION_MAX_CHARS = 500
MAX_OPTIONS = 8
OPTION_KEYS = "ABCDEFGH"
QUESTION_AUDIT_FIELDS = ("kind", "stem", "options", "correct", "truth", "accepted")


# Categories ------------------------------------------------------------------------------


def _category_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > CATEGORY_MAX_CHARS:
        raise DomainError(
            "validation_error",
            _("分类名称应为 1 至 %d 个字") % CATEGORY_MAX_CHARS,
            field="name",
        )
    return name


@transaction.atomic
def create_category(*, actor: User, org: Organization, name: str) -> QuestionCategory:
    """A category of the organization's bank, by one of its admins."""
    permissions.require(actor, Action.CHANGE, org)
    name = _category_name(name)
    if QuestionCategory.objects.filter(org=org, name=name).exists():
        raise DomainError("duplicate_name", _("该分类已存在"), field="name")
    category = QuestionCategory.objects.create(org=org, name=name, created_at=clock.now())
    audit.record(
        actor=actor, action="question_category.create", obj=category, org=org, after={"name": name}
    )
    return category


# Questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionContent:
    """What an editor writes: options as texts (keyed A, B, … in order), the right keys of
    a choice question, the answer of a true/false one, the accepted texts of a fill-in."""

    kind: str
    stem: str
    options: Sequence[str] = ()
    correct: Sequence[str] = ()
    truth: bool | None = None
    accepted: Sequence[str] = ()
    partial_credit: bool = False
    explanation: str = ""


_PROBLEM_MESSAGES = {
    "kind": lambda: _("题型应为单选、多选、判断或填空"),
    "options": lambda: _("选择题应有 2 至 8 个互不相同的选项"),
    "correct": lambda: _("正确答案应为选项中的字母；单选题只有一个正确答案"),
    "truth": lambda: _("判断题的答案应为“对”或“错”"),
    "accepted": lambda: _("填空题应至少有一个可接受的答案"),
    "partial_credit": lambda: _("只有多选题可以设置部分得分"),
    "points": lambda: _("分值应为正整数"),
}
_PROBLEM_FIELDS = {"truth": "correct", "accepted": "correct"}


def content_fields(content: QuestionContent) -> dict:
    """The version's fields for `content`, or DomainError("validation_error", field) with
    the Chinese message of the first problem (grading.question_problems judges them)."""
    stem = (content.stem or "").strip()
    if not stem or len(stem) > STEM_MAX_CHARS:
        raise DomainError(
            "validation_error", _("题干应为 1 至 %d 个字") % STEM_MAX_CHARS, field="stem"
        )
    try:
        kind = QuestionType(content.kind)
    except ValueError:
        raise DomainError("validation_error", _PROBLEM_MESSAGES["kind"](), field="kind") from None
    choice = kind in (QuestionType.SINGLE, QuestionType.MULTIPLE)
    texts = [str(t).strip() for t in content.options] if choice else []
    if len(texts) > MAX_OPTIONS or any(not t or len(t) > OPTION_MAX_CHARS for t in texts):
        raise DomainError("validation_error", _PROBLEM_MESSAGES["options"](), field="options")
    options = [{"key": OPTION_KEYS[i], "text": t} for i, t in enumerate(texts)]
    correct = sorted({str(k).strip().upper() for k in content.correct}) if choice else []
    accepted = (
        [a.strip() for a in content.accepted if a and a.strip()]
        if kind == QuestionType.FILL_IN
        else []
    )
    truth = content.truth if kind == QuestionType.TRUE_FALSE else None
    spec = {
        "kind": kind,
        "options": tuple(o["key"] for o in options),
        "correct": frozenset(correct),
        "truth": truth,
        "accepted": tuple(accepted),
        "partial_credit": bool(content.partial_credit),
    }
    # QuestionSpec refuses a bad question when built; the problems are listed from a plain
    # object of the same shape instead.
    problems = question_problems(SimpleNamespace(id=0, points=1, **spec))
    if problems:
        field = problems[0]
        raise DomainError(
            "validation_error",
            _PROBLEM_MESSAGES[field](),
            field=_PROBLEM_FIELDS.get(field, field),
        )
    return {
        "kind": kind.value,
        "stem": stem,
        "options": options,
        "correct": correct,
        "truth": truth,
        "accepted": accepted,
        "partial_credit": bool(content.partial_credit),
        "explanation": (content.explanation or "").strip(),
    }


def question_spec(version: QuestionVersion, *, points: int = 1, id: int | None = None):
    """The version as marking sees it (grading.QuestionSpec), worth `points`."""
    return QuestionSpec(
        id=version.question_id if id is None else id,
        kind=QuestionType(version.kind),
        points=points,
        options=tuple(o["key"] for o in version.options),
        correct=frozenset(version.correct),
        truth=version.truth,
        accepted=tuple(version.accepted),
        partial_credit=version.partial_credit,
        version=version.number,
    )


def _audit_question(actor, action: str, question: Question, before=None) -> None:
    after = audit.snapshot(question.current, QUESTION_AUDIT_FIELDS)
    if before is not None:
        before, after = audit.diff(before, after)
    audit.record(
        actor=actor,
        action=action,
        obj=question,
        org=question.category.org,
        before=before,
        after={**after, "version": question.current.number},
    )


def _new_question(actor: User, category: QuestionCategory, fields: dict, now) -> Question:
    question = Question.objects.create(
        category=category, author=actor, created_at=now, updated_at=now
    )
    question.current = QuestionVersion.objects.create(
        question=question, number=1, created_at=now, **fields
    )
    question.save(update_fields=["current"])
    return question


@transaction.atomic
def create_question(
    *, actor: User, category: QuestionCategory, content: QuestionContent
) -> Question:
    """A question of the category's bank, at version 1."""
    permissions.require(actor, Action.CHANGE, category)
    question = _new_question(actor, category, content_fields(content), clock.now())
    _audit_question(actor, "question.create", question)
    return question


@transaction.atomic
def edit_question(
    *,
    actor: User,
    question: Question,
    content: QuestionContent | None = None,
    category: QuestionCategory | None = None,
) -> Question:
    """Change a question. Its content is immutable once an attempt has been given it: the
    edit then makes a new version, which later attempts get, while the attempts before
    keep theirs (and are marked and reviewed by it). A version no attempt has seen is
    corrected in place."""
    permissions.require(actor, Action.CHANGE, question)
    question = locked(question, "category", "category__org", "current")
    now = clock.now()
    fields = ["updated_at"]
    if category is not None and category.pk != question.category_id:
        permissions.require(actor, Action.CHANGE, category)
        question.category = category
        fields.append("category")
    before = audit.snapshot(question.current, QUESTION_AUDIT_FIELDS)
    if content is not None:
        values = content_fields(content)
        current = question.current
        if AttemptAnswer.objects.filter(question_version=current).exists():
            question.current = QuestionVersion.objects.create(
                question=question, number=current.number + 1, created_at=now, **values
            )
            fields.append("current")
        else:
            for name, value in values.items():
                setattr(current, name, value)
            current.save(update_fields=list(values))
    question.updated_at = now
    question.save(update_fields=fields)
    _audit_question(actor, "question.edit", question, before)
    return question


@transaction.atomic
def retire_question(*, actor: User, question: Question) -> Question:
    """Take a question out of the bank: no longer drawn nor offered, while the attempts that
    were given it keep it."""
    permissions.require(actor, Action.CHANGE, question)
    question = locked(question, "category", "category__org", "current")
    if question.is_active:
        question.is_active = False
        question.updated_at = clock.now()
        question.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor,
            action="question.retire",
            obj=question,
            org=question.category.org,
            after={"is_active": False},
        )
    return question


# Import and export -----------------------------------------------------------------------

BANK_COLUMNS: list[tuple[str, str]] = [
    ("category", "分类"),
    ("kind", "题型"),
    ("stem", "题干"),
    *[(f"option_{k.lower()}", f"选项{k}") for k in OPTION_KEYS[:6]],
    ("answer", "答案"),
    ("partial_credit", "部分得分"),
    ("explanation", "解析"),
]
BANK_REQUIRED = ("category", "kind", "stem", "answer")
KIND_NAMES = {"单选": "single", "多选": "multiple", "判断": "true_false", "填空": "fill_in"}
KIND_LABELS = {v: k for k, v in KIND_NAMES.items()}
TRUE_WORDS = {"对", "正确", "是", "√", "true", "t", "yes", "y"}
FALSE_WORDS = {"错", "错误", "否", "×", "false", "f", "no", "n"}
# Several accepted answers of a fill-in in one cell.
ACCEPTED_SEPARATORS = ("|", "｜", "；", ";")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _content_from_row(values: dict) -> QuestionContent:
    kind_text = _text(values.get("kind")).removesuffix("题")
    kind = KIND_NAMES.get(kind_text, kind_text)
    answer = _text(values.get("answer"))
    options = [_text(values.get(f"option_{k.lower()}")) for k in OPTION_KEYS[:6]]
    while options and not options[-1]:
        options.pop()
    correct, truth, accepted = [], None, []
    if kind in ("single", "multiple"):
        correct = [ch for ch in answer.upper() if ch.strip() and ch not in ",，、"]
    elif kind == "true_false":
        word = answer.casefold()
        truth = True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
    else:
        for sep in ACCEPTED_SEPARATORS[1:]:
            answer = answer.replace(sep, ACCEPTED_SEPARATORS[0])
        accepted = answer.split(ACCEPTED_SEPARATORS[0])
    partial = _text(values.get("partial_credit")) in ("是", "Y", "y", "1", "TRUE", "true")
    return QuestionContent(
        kind=kind,
        stem=_text(values.get("stem")),
        options=options,
        correct=correct,
        truth=truth,
        accepted=accepted,
        partial_credit=partial,
        explanation=_text(values.get("explanation")),
    )


_FIELD_COLUMNS = {
    "stem": "题干",
    "kind": "题型",
    "options": "选项A",
    "correct": "答案",
    "partial_credit": "部分得分",
}


def import_questions(*, actor: User, org: Organization, file, filename: str = "") -> int:
    """Questions from an .xlsx (or .csv) file in the template's columns into the
    organization's bank; categories named in the file are created when missing. Every row
    is judged as a single create would judge it; a file with any error imports nothing and
    lists the rows and columns at fault (`import_invalid`). Returns how many were added."""
    permissions.require(actor, Action.IMPORT, org)
    errors = Errors()
    rows: list[tuple[str, dict]] = []
    for number, values in records(file, BANK_COLUMNS, BANK_REQUIRED):
        name = _text(values.get("category"))
        if not name or len(name) > CATEGORY_MAX_CHARS:
            errors.add(number, "分类", _("分类名称应为 1 至 %d 个字") % CATEGORY_MAX_CHARS)
            continue
        try:
            rows.append((name, content_fields(_content_from_row(values))))
        except DomainError as exc:
            errors.add(number, _FIELD_COLUMNS.get(exc.details.get("field"), ""), exc.message)
    raise_invalid(errors)
    now = clock.now()
    with transaction.atomic(), all_or_nothing(_("题库分类已被他人同时修改，请重新导入")):
        categories = {c.name: c for c in QuestionCategory.objects.filter(org=org)}
        for name, fields in rows:
            category = categories.get(name)
            if category is None:
                category = QuestionCategory.objects.create(org=org, name=name, created_at=now)
                categories[name] = category
            _new_question(actor, category, fields, now)
        record_file(
            actor=actor,
            org=org,
            action="question.import",
            filename=filename,
            untitled=_("题库导入"),
            after={"created": len(rows)},
            at=now,
        )
    return len(rows)


def _answer_cell(version: QuestionVersion) -> str:
    if version.kind == QuestionType.TRUE_FALSE:
        return "对" if version.truth else "错"
    if version.kind == QuestionType.FILL_IN:
        return "|".join(version.accepted)
    return "".join(version.correct)


def _workbook(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("题库")
    ws.append(xlsx_row(ws, [title for _field, title in BANK_COLUMNS]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = 16
    for row in rows:
        ws.append(xlsx_row(ws, row))
    help_ws = wb.create_sheet(_("填写说明"))
    for line in (
        _("第1行为表头，请勿修改；从第2行起每行一道题。"),
        _("题型：单选、多选、判断或填空。"),
        _("答案：选择题填选项字母（多选如 ABD）；判断题填 对 或 错。"),
        _("填空题的多个可接受答案用 | 分隔。"),
        _("部分得分：仅多选题，填 是 则按选对的选项给分，不填为全对才得分。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
    ):
        help_ws.append(xlsx_row(help_ws, [line]))
    help_ws.column_dimensions["A"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bank_template() -> tuple[bytes, str, str]:
    """The import template: the header row and one example row, with a help sheet."""
    example = ["党章党规", "单选", "党的最高领导机关是？", "党的全国代表大会和它产生的中央委员会"]
    example += ["中央纪律检查委员会", "", "", "", "", "A", "", ""]
    return _workbook([example]), _("题库导入模板") + ".xlsx", XLSX_TYPE


def export_bank(*, actor: User, org: Organization) -> tuple[bytes, str, str]:
    """The organization's active questions (current versions) in the import's columns, so
    that the file imports into another bank as it is."""
    permissions.require(actor, Action.CHANGE, org)
    questions = (
        Question.objects.filter(category__org=org, is_active=True)
        .select_related("category", "current")
        .order_by("category__name", "id")
    )
    rows = []
    for question in questions:
        version = question.current
        options = [o["text"] for o in version.options][:6]
        rows.append(
            [
                question.category.name,
                KIND_LABELS[version.kind],
                version.stem,
                *options,
                *[""] * (6 - len(options)),
                _answer_cell(version),
                "是" if version.partial_credit else "",
                version.explanation,
            ]
        )
    audit.record(actor=actor, action="question.export", obj=org, org=org, after={"rows": len(rows)})
    return _workbook(rows), f"{org.name}-{_('题库')}.xlsx", XLSX_TYPE
