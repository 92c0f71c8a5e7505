"""The monthly study package in the back office (issue 19, point 3): the packages an admin
reads, a form to make the city's package (or a county's add-on to it), publish and push in
one click each, and the completion table by branch with county and town names."""

from datetime import date

from django import forms
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, paginate, posted, render_page
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pages import attempt
from dangjian.learning import packages
from dangjian.permissions import Action


class PackageForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("月份"), regex=r"^\d{4}-\d{2}$", help_text="YYYY-MM", max_length=7
    )
    title = forms.CharField(label=gettext_lazy("套餐名称"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("说明（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    articles = forms.ModelMultipleChoiceField(
        label=gettext_lazy("必学文章"), queryset=None, required=False
    )
    quiz = forms.ModelChoiceField(label=gettext_lazy("学习测试"), queryset=None, required=False)

    def __init__(self, *args, user, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["articles"].queryset = packages.package_articles_choice(user, org)
        self.fields["quiz"].queryset = packages.package_quizzes_choice(user, org)


@require_GET
@admin_view
def package_list(request):
    return render_page(
        request,
        "console/learning/package_list.html",
        {"page": paginate(request, packages.packages_for(request.user))},
    )


@require_http_methods(["GET", "POST"])
@admin_view
def package_create(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    initial = {"month": f"{clock.today():%Y-%m}"}
    form = PackageForm(posted(request), user=request.user, org=org, initial=initial)

    def save():
        data = form.cleaned_data
        year, mon = data["month"].split("-")
        month = date(int(year), int(mon), 1)
        parent = None
        if org.depth > 1:
            parent = packages.city_package(org, month)
            if parent is None:
                raise DomainError("invalid_org", _("本月市级学习套餐尚未创建"))
        package = packages.create_package(
            actor=request.user,
            org=org,
            month=month,
            title=data["title"],
            description=data["description"],
            articles=list(data["articles"]),
            quiz=data["quiz"],
            parent=parent,
        )
        return redirect("console:package_detail", package.pk)

    return form_page(request, form, "console/learning/package_form.html", {"org": org}, save)


@require_GET
@admin_view
def package_detail(request, package_id: int):
    user = request.user
    package = permissions.access_package(user, package_id)
    can_change = permissions.can(user, Action.CHANGE, package)
    by = request.GET.get("by") or "branch"
    if by not in ("branch", "county", "sector"):
        by = "branch"
    rows = packages.completion_by_branch(package.month, package.org) if can_change else []
    return render_page(
        request,
        "console/learning/package_detail.html",
        {
            "package": package,
            "items": packages.package_items(package),
            "can_change": can_change,
            "by": by,
            "rows": rows if by == "branch" else packages.completion_grouped(rows, by),
        },
    )


STEPS = {
    "publish": (packages.publish_package, gettext_lazy("已发布。")),
    "push": (packages.push_package, gettext_lazy("已开始推送，每名党员只会收到一次通知。")),
}


@require_POST
@admin_view
def package_step(request, package_id: int, step: str):
    if step not in STEPS:
        raise Http404
    service, success = STEPS[step]
    package = permissions.access_package(request.user, package_id, Action.CHANGE)
    attempt(request, str(success), service, package=package)
    return redirect("console:package_detail", package.pk)
