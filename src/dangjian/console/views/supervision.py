"""Supervision pages (抽查督导, 整改): draw a spot check for a scope and period, look at
each sampled branch's evidence and record findings, open rectifications, answer them
(the branch), accept or reopen them (the superior); overdue ones are highlighted."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, posted, render_page, trail
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt, form_refusal
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.supervision import selectors, services
from dangjian.supervision.models import FindingResult, RectificationStatus, SpotCheckItem


class SpotCheckForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("期间"), max_length=7)
    size = forms.IntegerField(label=gettext_lazy("抽查数量"), min_value=1, required=False)
    percent = forms.IntegerField(
        label=gettext_lazy("或抽查比例（%）"), min_value=1, max_value=100, required=False
    )
    seed = forms.IntegerField(
        label=gettext_lazy("抽样编号（可选）"),
        help_text=gettext_lazy(
            "留空则随机抽取；填入以前某次抽查的编号，在得分不变时会抽中同样的支部，便于核对。"
        ),
        min_value=0,
        required=False,
    )
    weight_low_scores = forms.BooleanField(label=gettext_lazy("向低分支部倾斜"), required=False)


class FindingForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("结论"),
        choices=[
            (FindingResult.PASSED, FindingResult.PASSED.label),
            (FindingResult.PROBLEMS, FindingResult.PROBLEMS.label),
        ],
    )
    finding = forms.CharField(
        label=gettext_lazy("检查发现"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RectificationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("整改事项"), max_length=200)
    requirement = forms.CharField(
        label=gettext_lazy("整改要求"), widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(
        label=gettext_lazy("整改期限"), widget=forms.DateInput(attrs={"type": "date"})
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class AnswerForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("整改情况"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=gettext_lazy("附件（图片或 PDF）"), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因"), widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(
        label=gettext_lazy("新的整改期限（可选）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@require_http_methods(["GET", "POST"])
@admin_view
def org_supervision(request, org_id: int):
    """A scope's spot checks (with the form to draw one) and rectifications."""
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.READ)
    can_supervise = permissions.can(actor, Action.SUPERVISE, org)
    form = SpotCheckForm(posted(request), initial={"period": scoring.current_period("month").label})
    if request.method == "POST":
        permissions.require(actor, Action.SUPERVISE, org)
        if form.is_valid():
            data = form.cleaned_data
            try:
                check = services.create_spot_check(
                    actor=actor,
                    org=org,
                    period=scoring.parse_period(data["period"]),
                    size=data["size"],
                    percent=data["percent"],
                    seed=data["seed"],
                    weight_low_scores=data["weight_low_scores"],
                )
            except DomainError as exc:
                form_refusal(form, exc)
            else:
                return redirect("console:spot_check", spot_check_id=check.pk)
    overdue_only = request.GET.get("overdue") == "1"
    status = request.GET.get("status", "")
    status = status if status in RectificationStatus.values else ""
    rectifications = paginate(
        request,
        selectors.rectifications_in(
            actor, org, status=status, overdue=True if overdue_only else None
        ),
    )
    today = clock.today()
    return render_page(
        request,
        "console/supervision/org.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "form": form,
            "can_supervise": can_supervise,
            "spot_checks": list(selectors.spot_checks_in(actor, org)[:20]),
            "rectifications": rectifications,
            "rows": [(r, r.is_overdue_on(today)) for r in rectifications],
            "overdue_only": overdue_only,
            "status": status,
            "statuses": RectificationStatus.choices,
            "overdue_count": selectors.overdue_count(actor, org),
        },
    )


@require_GET
@admin_view
def spot_check(request, spot_check_id: int):
    actor = request.user
    check = permissions.access_spot_check(actor, spot_check_id)
    items = selectors.items_of(check)
    shown = request.GET.get("branch")
    sections = []
    for item in items:
        open_now = str(item.branch_id) == shown
        sections.append(
            {
                "item": item,
                "open": open_now,
                "evidence": selectors.evidence(item) if open_now else None,
                "finding_form": FindingForm(
                    initial={"result": item.result, "finding": item.finding}
                ),
                "rectification_form": RectificationForm(
                    initial={"title": _("抽查发现问题整改"), "requirement": item.finding}
                ),
                "can_rectify": permissions.can(actor, Action.SUPERVISE, item.branch),
            }
        )
    return render_page(
        request,
        "console/supervision/spot_check.html",
        {
            "check": check,
            "sections": sections,
            "crumbs": trail(actor, check.org),
            "can_change": permissions.can(actor, Action.CHANGE, check),
        },
    )


def _item(actor, spot_check_id: int, item_id: int, action=Action.CHANGE) -> SpotCheckItem:
    check = permissions.access_spot_check(actor, spot_check_id, action)
    return selectors.item_of(check, pk=item_id)


@require_POST
@admin_view
def record_finding(request, spot_check_id: int, item_id: int):
    actor = request.user
    item = _item(actor, spot_check_id, item_id)
    form = FindingForm(request.POST)
    if form.is_valid():
        success = _("已记录“%s”的检查结论。") % item.branch.name
        attempt(request, success, services.record_finding, item=item, **form.cleaned_data)
    else:
        messages.error(request, _("请选择检查结论。"))
    return redirect(f"/console/supervision/spot-checks/{spot_check_id}/?branch={item.branch_id}")


@require_POST
@admin_view
def open_rectification(request, spot_check_id: int, item_id: int):
    actor = request.user
    item = _item(actor, spot_check_id, item_id, Action.READ)
    form = RectificationForm(request.POST)
    if form.is_valid():
        r = attempt(
            request,
            _("已下达整改任务。"),
            services.open_rectification,
            branch=item.branch,
            finding=item,
            **form.cleaned_data,
        )
        if r is not None:
            return redirect("console:rectification", rectification_id=r.pk)
    else:
        messages.error(request, _("请填写整改事项、要求和期限。"))
    return redirect(f"/console/supervision/spot-checks/{spot_check_id}/?branch={item.branch_id}")


@require_http_methods(["GET", "POST"])
@admin_view
def rectification(request, rectification_id: int):
    actor = request.user
    r = permissions.access_rectification(actor, rectification_id)
    can_answer = permissions.can(actor, Action.ANSWER, r)
    can_decide = permissions.can(actor, Action.SUPERVISE, r)
    answer_form = AnswerForm()
    reopen_form = ReopenForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answer":
                permissions.require(actor, Action.ANSWER, r)
                answer_form = AnswerForm(request.POST, request.FILES)
                if answer_form.is_valid():
                    services.answer_rectification(
                        actor=actor,
                        rectification=r,
                        text=answer_form.cleaned_data["text"],
                        files=answer_form.cleaned_data["files"],
                    )
                    messages.success(request, _("已提交整改情况。"))
                    return redirect("console:rectification", rectification_id=r.pk)
            elif action == "accept":
                services.accept_rectification(
                    actor=actor, rectification=r, remark=request.POST.get("remark", "")
                )
                messages.success(request, _("整改已通过验收。"))
                return redirect("console:rectification", rectification_id=r.pk)
            elif action == "reopen":
                permissions.require(actor, Action.SUPERVISE, r)
                reopen_form = ReopenForm(request.POST)
                if reopen_form.is_valid():
                    services.reopen_rectification(
                        actor=actor, rectification=r, **reopen_form.cleaned_data
                    )
                    messages.success(request, _("已退回重新整改。"))
                    return redirect("console:rectification", rectification_id=r.pk)
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            messages.error(request, exc.message)
    r.refresh_from_db()
    return render_page(
        request,
        "console/supervision/rectification.html",
        {
            "r": r,
            "crumbs": trail(actor, r.branch),
            "events": list(r.events.select_related("actor").prefetch_related("attachments")),
            "overdue": r.is_overdue_on(clock.today()),
            "can_answer": can_answer and r.status == RectificationStatus.OPEN,
            "can_decide": can_decide and r.status == RectificationStatus.ANSWERED,
            "answer_form": answer_form,
            "reopen_form": reopen_form,
        },
    )


@require_GET
@admin_view
def rectification_attachment(request, attachment_id: int):
    """An answer's attachment, read through the rectification's scope check (uploaded
    files are never served by their storage URL)."""
    from dangjian.supervision.models import RectificationAttachment

    attachment = RectificationAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise permissions.not_found()
    permissions.access_rectification(request.user, attachment.rectification_id)
    return attachment_response(attachment)
