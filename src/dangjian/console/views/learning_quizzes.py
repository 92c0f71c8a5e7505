"""Quizzes in the back office (issue 19, points 5 and 7): the quizzes of the organizations
an admin runs, the editor (terms, fixed questions, a draw per category), publishing, and a
quiz's results (distribution, pass rate per county, branch and sector, each question's
facility and discrimination, each member's grade) with their XLSX export, and a member's
history across quizzes."""

from datetime import timedelta

from django import forms
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, paginate, posted, render_page
from dangjian.core.files import made_file
from dangjian.core.pages import attempt
from dangjian.learning import quiz_results, quiz_selectors, quiz_services
from dangjian.learning.models import QuizStatus
from dangjian.learning.models.quizzes import GRADING_METHODS, REVIEW_POLICIES
from dangjian.permissions import Action

MEMBERS_PER_PAGE = 100
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuizForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("测试名称"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("说明（可选）"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    opens_at = forms.DateTimeField(label=gettext_lazy("开始时间"), required=False, widget=MOMENT)
    closes_at = forms.DateTimeField(label=gettext_lazy("截止时间"), required=False, widget=MOMENT)
    time_limit = forms.IntegerField(
        label=gettext_lazy("答题时限（分钟，空为不限）"),
        min_value=1,
        max_value=1440,
        required=False,
    )
    attempts_allowed = forms.IntegerField(
        label=gettext_lazy("可作答次数（空为不限）"), min_value=1, max_value=100, required=False
    )
    grading_method = forms.ChoiceField(label=gettext_lazy("计分方式"), choices=GRADING_METHODS)
    pass_mark = forms.DecimalField(
        label=gettext_lazy("及格分（百分制）"), min_value=0, max_value=100, initial=60
    )
    shuffle_options = forms.BooleanField(
        label=gettext_lazy("每次作答打乱选项顺序"), required=False, initial=True
    )
    review_policy = forms.ChoiceField(label=gettext_lazy("答案公布"), choices=REVIEW_POLICIES)
    points = forms.IntegerField(
        label=gettext_lazy("每题分值"), min_value=1, max_value=100, initial=1
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questions"] = forms.ModelMultipleChoiceField(
            label=gettext_lazy("固定试题"),
            queryset=quiz_selectors.questions_for(user),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["questions"].label_from_instance = lambda q: f"#{q.pk} {q.current.stem[:60]}"
        self.categories = list(quiz_selectors.categories_for(user))
        for category in self.categories:
            self.fields[f"draw_{category.pk}"] = forms.IntegerField(
                label=_("从“%(name)s”随机抽题数") % {"name": category.name},
                min_value=0,
                max_value=quiz_services.MAX_PAPER_QUESTIONS,
                required=False,
            )

    def terms(self) -> dict:
        data = self.cleaned_data
        minutes = data["time_limit"]
        return {
            "title": data["title"],
            "description": data["description"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "time_limit": timedelta(minutes=minutes) if minutes else None,
            "attempts_allowed": data["attempts_allowed"],
            "grading_method": data["grading_method"],
            "pass_mark": data["pass_mark"],
            "shuffle_options": data["shuffle_options"],
            "review_policy": data["review_policy"],
        }

    def paper(self) -> dict:
        points = self.cleaned_data["points"]
        return {
            "questions": [
                quiz_services.FixedQuestion(q, points) for q in self.cleaned_data["questions"]
            ],
            "draws": [
                quiz_services.CategoryDraw(c, n, points)
                for c in self.categories
                if (n := self.cleaned_data.get(f"draw_{c.pk}"))
            ],
        }


def _initial(quiz) -> dict:
    paper = quiz_selectors.quiz_paper(quiz)
    fixed = list(paper.fixed_questions.all())
    draws = list(paper.draw_rules.all())
    initial = {
        "title": quiz.title,
        "description": quiz.description,
        "opens_at": quiz.opens_at,
        "closes_at": quiz.closes_at,
        "time_limit": int(quiz.time_limit.total_seconds() // 60) if quiz.time_limit else None,
        "attempts_allowed": quiz.attempts_allowed,
        "grading_method": quiz.grading_method,
        "pass_mark": quiz.pass_mark,
        "shuffle_options": quiz.shuffle_options,
        "review_policy": quiz.review_policy,
        "questions": [f.question_id for f in fixed],
        "points": (fixed or draws)[0].points if (fixed or draws) else 1,
    }
    initial.update({f"draw_{d.category_id}": d.count for d in draws})
    return initial


@require_GET
@admin_view
def quiz_list(request):
    status = request.GET.get("status") or ""
    if status not in QuizStatus.values:
        status = ""
    page = paginate(request, quiz_selectors.quizzes_for(request.user, status=status or None))
    return render_page(
        request,
        "console/learning/quiz_list.html",
        {"page": page, "status": status, "statuses": QuizStatus.choices},
    )


@require_http_methods(["GET", "POST"])
@admin_view
def quiz_create(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    form = QuizForm(posted(request), user=request.user)

    def save():
        made = quiz_services.create_quiz(
            actor=request.user, org=org, **form.terms(), **form.paper()
        )
        return redirect("console:quiz_detail", made.pk)

    return form_page(
        request, form, "console/learning/quiz_form.html", {"org": org, "quiz": None}, save
    )


@require_http_methods(["GET", "POST"])
@admin_view
def quiz_edit(request, quiz_id: int):
    quiz = permissions.access_quiz(request.user, quiz_id, Action.CHANGE)
    form = QuizForm(posted(request), user=request.user, initial=_initial(quiz))

    def save():
        quiz_services.edit_quiz(actor=request.user, quiz=quiz, **form.terms(), **form.paper())
        return redirect("console:quiz_detail", quiz.pk)

    return form_page(
        request, form, "console/learning/quiz_form.html", {"org": quiz.org, "quiz": quiz}, save
    )


@require_GET
@admin_view
def quiz_detail(request, quiz_id: int):
    quiz = permissions.access_quiz(request.user, quiz_id)
    return render_page(
        request,
        "console/learning/quiz_detail.html",
        {
            "quiz": quiz_selectors.quiz_paper(quiz),
            "can_change": permissions.can(request.user, Action.CHANGE, quiz),
        },
    )


@require_POST
@admin_view
def quiz_publish(request, quiz_id: int):
    quiz = permissions.access_quiz(request.user, quiz_id, Action.CHANGE)
    attempt(request, _("已发布。"), quiz_services.publish_quiz, quiz=quiz)
    return redirect("console:quiz_detail", quiz.pk)


@require_GET
@admin_view
def quiz_results_page(request, quiz_id: int):
    quiz = permissions.access_quiz(request.user, quiz_id)
    results = quiz_results.results_for(request.user, quiz)
    tallest = max((b.count for b in results.distribution), default=0) or 1
    return render_page(
        request,
        "console/learning/quiz_results.html",
        {
            "quiz": quiz,
            "results": results,
            "bars": [(b, round(100 * b.count / tallest)) for b in results.distribution],
            # A city quiz reaches every member: the table pages; the export has them all.
            "page": paginate(request, results.members, per_page=MEMBERS_PER_PAGE),
        },
    )


@require_GET
@admin_view
def quiz_results_export(request, quiz_id: int):
    quiz = permissions.access_quiz(request.user, quiz_id)
    return made_file(*quiz_results.export_results(actor=request.user, quiz=quiz))


@require_GET
@admin_view
def member_quizzes(request, member_id: int):
    member = permissions.access_member(request.user, member_id)
    return render_page(
        request,
        "console/learning/member_quizzes.html",
        {"member": member, "history": quiz_results.history_of(member)},
    )
