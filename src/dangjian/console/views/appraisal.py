"""Annual appraisal pages (一年一考核): the city publishes the rule and generates a year's
appraisal; each county proposes its branches' grades within quota and submits them; the
city changes a grade with a reason and confirms, after which the results are archived,
exported and rated in stars."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, posted, render_page
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import made_file
from dangjian.core.pages import attempt, form_refusal
from dangjian.permissions import Action
from dangjian.supervision import appraisal as services
from dangjian.supervision import appraisal_selectors as selectors
from dangjian.supervision.models import AppraisalRule, Grade


class RuleForm(forms.ModelForm):
    class Meta:
        model = AppraisalRule
        fields = [
            "finding_deduction",
            "overdue_deduction",
            "send_back_deduction",
            "study_weight",
            "volunteer_weight",
            "volunteer_hours_target",
            "good_max_percent",
            "fairly_good_max_percent",
            "poor_min_percent",
            "note",
        ]


class GenerateForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("考核年度"), min_value=2000)


class CityGradeForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("调整为"), choices=Grade.choices)
    reason = forms.CharField(
        label=gettext_lazy("调整理由"), max_length=1000, widget=forms.TextInput()
    )


def _root(actor):
    roots = permissions.root_orgs(actor)
    return roots[0] if roots else None


@require_http_methods(["GET", "POST"])
@admin_view
def appraisals(request):
    """The appraisals the admin reads; the city's admins generate a year's here."""
    actor = request.user
    root = _root(actor)
    form = GenerateForm(posted(request), initial={"year": clock.today().year - 1})
    if request.method == "POST":
        if root is None:
            raise permissions.forbidden()
        if form.is_valid():
            try:
                appraisal = services.generate_appraisal(
                    actor=actor, org=root, year=form.cleaned_data["year"]
                )
            except DomainError as exc:
                form_refusal(form, exc)
            else:
                messages.success(request, _("已生成 %d 年度考核。") % appraisal.year)
                return redirect("console:appraisal", appraisal_id=appraisal.pk)
    versions = selectors.rule_versions()
    return render_page(
        request,
        "console/supervision/appraisals.html",
        {
            "appraisals": list(selectors.appraisals_for(actor)),
            "form": form if root is not None else None,
            "rule": versions[0][0],
        },
    )


@require_http_methods(["GET", "POST"])
@admin_view
def appraisal_rule(request):
    """The rule's versions; the city's admins publish a new one."""
    actor = request.user
    may_publish = bool(permissions.root_orgs(actor))
    current = selectors.rule_versions()[0][0]
    form = RuleForm(posted(request), initial=current.as_dict())
    if request.method == "POST":
        if not may_publish:
            raise permissions.forbidden()
        if form.is_valid():
            try:
                row = services.publish_appraisal_rule(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                form_refusal(form, exc)
            else:
                messages.success(request, _("已发布年度考核规则 v%d。") % row.version)
                return redirect("console:appraisal_rule")
    return render_page(
        request,
        "console/supervision/appraisal_rule.html",
        {
            "versions": selectors.rule_versions(),
            "form": form if may_publish else None,
        },
    )


@require_GET
@admin_view
def appraisal(request, appraisal_id: int):
    """One year's appraisal: each county the admin reads with its grades against its
    quotas and whether it has submitted; the city confirms here."""
    actor = request.user
    found = permissions.access_appraisal(actor, appraisal_id)
    return render_page(
        request,
        "console/supervision/appraisal.html",
        {
            "appraisal": found,
            "counties": selectors.counties_of(actor, found),
            "can_confirm": not found.is_confirmed and permissions.can(actor, Action.REVIEW, found),
            "grades": Grade.choices,
        },
    )


@require_POST
@admin_view
def appraisal_confirm(request, appraisal_id: int):
    actor = request.user
    found = permissions.access_appraisal(actor, appraisal_id, Action.REVIEW)
    attempt(request, _("年度考核结果已确认归档。"), services.confirm_appraisal, appraisal=found)
    return redirect("console:appraisal", appraisal_id=found.pk)


@require_http_methods(["GET", "POST"])
@admin_view
def appraisal_county(request, appraisal_id: int, county_id: int):
    """A county's branches by rank with their figures and grades. The county's admins
    choose grades and submit them (the whole county at once, checked against its quotas);
    the city's admins change one grade with a reason."""
    actor = request.user
    found = permissions.access_appraisal(actor, appraisal_id)
    part = permissions.access_appraisal_county(actor, found, county_id)
    may_propose = not found.is_confirmed and permissions.can(actor, Action.CHANGE, part)
    may_decide = not found.is_confirmed and permissions.can(actor, Action.REVIEW, found)
    entries = selectors.entries_of(actor, found, county=part.county)
    error = None
    if request.method == "POST":
        permissions.require(actor, Action.CHANGE, part)
        grades = {}
        for entry in entries:
            chosen = request.POST.get(f"grade-{entry.branch_id}")
            if chosen and chosen != (entry.county_grade or entry.proposed_grade):
                grades[entry.branch_id] = chosen
        try:
            services.propose_grades(actor=actor, part=part, grades=grades)
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            error = exc.message
        else:
            messages.success(request, _("已上报本县区的考核等次。"))
            return redirect(
                "console:appraisal_county", appraisal_id=found.pk, county_id=part.county_id
            )
    progress = next((p for p in selectors.counties_of(actor, found) if p.part.pk == part.pk), None)
    return render_page(
        request,
        "console/supervision/appraisal_county.html",
        {
            "appraisal": found,
            "part": part,
            "progress": progress,
            "entries": paginate(request, entries, per_page=500),
            "may_propose": may_propose,
            "may_decide": may_decide,
            "grades": Grade.choices,
            "city_form": CityGradeForm(),
            "error": error,
        },
        status=422 if error else 200,
    )


@require_POST
@admin_view
def appraisal_entry_grade(request, entry_id: int):
    """The city changes one branch's grade, with its reason."""
    actor = request.user
    entry = permissions.access_appraisal_entry(actor, entry_id, Action.REVIEW)
    form = CityGradeForm(request.POST)
    back = redirect(
        "console:appraisal_county", appraisal_id=entry.appraisal_id, county_id=entry.county_id
    )
    if not form.is_valid():
        messages.error(request, _("请选择等次并填写调整理由。"))
        return back
    attempt(
        request,
        _("已调整“%s”的等次。") % entry.branch.name,
        services.change_grade,
        entry=entry,
        **form.cleaned_data,
    )
    return back


@require_GET
@admin_view
def appraisal_export(request, appraisal_id: int):
    actor = request.user
    found = permissions.access_appraisal(actor, appraisal_id)
    return made_file(*selectors.appraisal_xlsx(actor, found))
