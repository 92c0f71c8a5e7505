"""The question bank in the back office (issue 19, point 4): an organization's categories
and questions, the editor (an edit of a question already given in an attempt makes a new
version, listed on its page), and the XLSX import with its template and per-row error
report, and the export."""

from django import forms
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, import_refusal, paginate, posted, render_page
from dangjian.core.errors import DomainError
from dangjian.core.files import made_file
from dangjian.learning import quiz_bank, quiz_selectors
from dangjian.learning.models import Question
from dangjian.learning.models.quizzes import QUESTION_TYPES
from dangjian.permissions import Action

TRUE_WORDS = {"对", "正确", "是", "true", "True", "T", "√"}


class CategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("分类名称"), max_length=50, required=False)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("题型"), choices=QUESTION_TYPES)
    stem = forms.CharField(
        label=gettext_lazy("题干"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    options = forms.CharField(
        label=gettext_lazy("选项（选择题，每行一个，依次为 A、B、C…）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    correct = forms.CharField(
        label=gettext_lazy("答案"),
        max_length=500,
        required=False,
        help_text=gettext_lazy(
            "选择题填选项字母（多选如 ABD）；判断题填 对 或 错；填空题的多个可接受答案用 | 分隔。"
        ),
    )
    partial_credit = forms.BooleanField(
        label=gettext_lazy("部分得分（仅多选题：按选对的选项给分）"), required=False
    )
    explanation = forms.CharField(
        label=gettext_lazy("解析（可选）"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def content(self) -> quiz_bank.QuestionContent:
        data = self.cleaned_data
        kind, answer = data["kind"], data["correct"].strip()
        options = [line.strip() for line in data["options"].splitlines() if line.strip()]
        choice = kind in ("single", "multiple")
        return quiz_bank.QuestionContent(
            kind=kind,
            stem=data["stem"],
            options=options if choice else (),
            correct=list(answer.upper().replace(",", "").replace(" ", "")) if choice else (),
            truth=(answer in TRUE_WORDS) if kind == "true_false" and answer else None,
            accepted=[a.strip() for a in answer.split("|") if a.strip()]
            if kind == "fill_in"
            else (),
            partial_credit=data["partial_credit"],
            explanation=data["explanation"],
        )


def _initial(question: Question) -> dict:
    version = question.current
    if version.kind == "true_false":
        answer = _("对") if version.truth else _("错")
    elif version.kind == "fill_in":
        answer = "|".join(version.accepted)
    else:
        answer = "".join(version.correct)
    return {
        "kind": version.kind,
        "stem": version.stem,
        "options": "\n".join(o["text"] for o in version.options),
        "correct": answer,
        "partial_credit": version.partial_credit,
        "explanation": version.explanation,
    }


@require_GET
@admin_view
def question_list(request):
    user = request.user
    categories = list(quiz_selectors.categories_for(user))
    category = next((c for c in categories if str(c.pk) == request.GET.get("category")), None)
    q = request.GET.get("q", "").strip()[: quiz_selectors.SEARCH_MAX_CHARS]
    page = paginate(request, quiz_selectors.questions_for(user, category=category, q=q))
    return render_page(
        request,
        "console/learning/question_list.html",
        {"categories": categories, "category": category, "q": q, "page": page},
    )


@require_http_methods(["GET", "POST"])
@admin_view
def category_create(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    form = CategoryForm(posted(request))

    def save():
        made = quiz_bank.create_category(
            actor=request.user, org=org, name=form.cleaned_data["name"]
        )
        return redirect(f"{reverse('console:question_list')}?category={made.pk}")

    return form_page(request, form, "console/learning/category_form.html", {"org": org}, save)


@require_http_methods(["GET", "POST"])
@admin_view
def question_create(request, category_id: int):
    category = permissions.access_question_category(request.user, category_id, Action.CHANGE)
    form = QuestionForm(posted(request))

    def save():
        made = quiz_bank.create_question(
            actor=request.user, category=category, content=form.content()
        )
        return redirect("console:question_edit", made.pk)

    return form_page(
        request,
        form,
        "console/learning/question_form.html",
        {"category": category, "question": None},
        save,
    )


@require_http_methods(["GET", "POST"])
@admin_view
def question_edit(request, question_id: int):
    question = permissions.access_question(request.user, question_id, Action.CHANGE)
    form = QuestionForm(posted(request), initial=_initial(question))

    def save():
        quiz_bank.edit_question(actor=request.user, question=question, content=form.content())
        return redirect("console:question_edit", question.pk)

    return form_page(
        request,
        form,
        "console/learning/question_form.html",
        {
            "category": question.category,
            "question": question,
            "versions": list(question.versions.order_by("-number")),
        },
        save,
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("题库文件（.xlsx）"))


@require_http_methods(["GET", "POST"])
@admin_view
def question_import(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.IMPORT)
    form = ImportForm(posted(request), request.FILES if request.method == "POST" else None)
    created = None
    refusal = import_refusal()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = quiz_bank.import_questions(
                actor=request.user, org=org, file=upload, filename=upload.name
            )
        except DomainError as exc:
            refusal = import_refusal(exc)
    return render_page(
        request,
        "console/learning/question_import.html",
        {
            "org": org,
            "form": form,
            "created": created,
            **refusal,
        },
    )


@require_GET
@admin_view
def question_template(request):
    return made_file(*quiz_bank.bank_template())


@require_GET
@admin_view
def question_export(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    return made_file(*quiz_bank.export_bank(actor=request.user, org=org))
