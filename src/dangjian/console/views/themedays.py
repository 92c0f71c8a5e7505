"""Theme days in the back office (docs/product.md, "Monthly theme days"): an organization's
campaigns, the campaign editor (with attachments), supplements, one-click distribution with its
counts, the review queue of superiors, the progress of a campaign per scope and sector, an
activity's page (plan, history, roster, cancellation) and the political birthdays of a branch.

The rules and their Chinese refusals live in `dangjian.themedays.services`; these views
only carry input to them and show what they answer."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.attendance import selectors as attendance_selectors
from dangjian.console.decorators import admin_view
from dangjian.console.forms import DATE
from dangjian.console.views.base import (
    form_page,
    paginate,
    posted,
    render_page,
    resolve_org,
    trail,
)
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt
from dangjian.notifications import selectors as notification_selectors
from dangjian.orglife import selectors as orglife
from dangjian.permissions import Action
from dangjian.registry import selectors as registry_selectors
from dangjian.registry.models import SECTOR_NAMES, OrgKind, Sector
from dangjian.themedays import campaigns, selectors, services
from dangjian.themedays import roster as themedays_roster
from dangjian.themedays.items import LABEL_BY_CODE
from dangjian.themedays.models import (
    DEFAULT_OPTIONAL_ITEMS,
    DEFAULT_REQUIRED_ITEMS,
    ActivityStatus,
)

PROGRESS_PAGE_SIZE = 50
REVIEW_PAGE_SIZE = 20
CAMPAIGNS_PAGE_SIZE = 24
ATTACHMENT_ACCEPT = "image/png,image/jpeg,image/webp,application/pdf,.png,.jpg,.jpeg,.webp,.pdf"


def lines(text: str) -> list[str]:
    """A textarea of items, one a line, as a list (blank lines dropped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _items_field(label, help_text, *, rows: int) -> forms.CharField:
    """Items typed one a line (the view turns them into a list with `lines`)."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _holding_date(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE,
        error_messages={
            "required": gettext_lazy("请填写开展时间"),
            "invalid": gettext_lazy("日期格式应为 YYYY-MM-DD"),
        },
    )


class CampaignForm(forms.Form):
    """Only carries input: empty or inconsistent values are judged by
    services.create_campaign, with the same words as in the API."""

    month = forms.CharField(
        label=gettext_lazy("月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-12"}),
        error_messages={"required": gettext_lazy("请选择月份")},
    )
    theme = forms.CharField(label=gettext_lazy("主题"), required=False, max_length=200)
    guidance = forms.CharField(
        label=gettext_lazy("活动指引"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    required_items = _items_field(
        gettext_lazy("规定动作"), gettext_lazy("每行一项；默认为六项规定动作，可修改。"), rows=6
    )
    optional_items = _items_field(
        gettext_lazy("建议的自选动作"), gettext_lazy("每行一项，供各支部选择。"), rows=4
    )
    holding_from = _holding_date(gettext_lazy("开展时间自"))
    holding_until = _holding_date(gettext_lazy("开展时间至"))
    sectors = forms.MultipleChoiceField(
        label=gettext_lazy("适用领域"),
        required=False,
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("不选则下发到全部领域的党支部。"),
    )
    # Read from request.FILES by the view (several files); declared here for the widget and
    # so that a refused file is named next to it.
    attachments = forms.Field(
        label=gettext_lazy("附件（图解、文件）"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
        help_text=gettext_lazy("图片（PNG、JPEG、WebP）或 PDF，可多选。"),
    )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "month": data["month"],
            "theme": data["theme"],
            "guidance": data["guidance"],
            "required_items": lines(data["required_items"]),
            "optional_items": lines(data["optional_items"]),
            "holding_from": data["holding_from"],
            "holding_until": data["holding_until"],
            "sectors": data["sectors"],
        }


class SupplementForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("补充要求的组织"), coerce=int)
    guidance = forms.CharField(
        label=gettext_lazy("补充要求"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    required_items = _items_field(
        gettext_lazy("增加的规定动作"),
        gettext_lazy("每行一项；本组织所属党支部的活动议程须同时包含。"),
        rows=3,
    )
    optional_items = _items_field(
        gettext_lazy("建议的自选动作"), gettext_lazy("每行一项。"), rows=3
    )

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.name) for o in orgs]


def _attach_files(actor, campaign, files) -> int:
    for upload in files:
        try:
            services.add_campaign_attachment(
                actor=actor, campaign=campaign, file=upload, name=upload.name
            )
        except DomainError as exc:
            # Name the file that was refused, on the attachments field.
            raise DomainError(
                exc.code, f"{upload.name}：{exc.message}", field="attachments"
            ) from exc
    return len(files)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _org_crumbs(actor, org):
    """A breadcrumb only when the actor may open the organization's own page."""
    return trail(actor, org) if permissions.is_admin_over(actor, org) else []


# Campaigns -------------------------------------------------------------------------------


@require_GET
@admin_view
def campaign_list(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.CHANGE)
    is_branch = org.kind == OrgKind.BRANCH
    if is_branch:
        rows = selectors.branch_plans(org, limit=CAMPAIGNS_PAGE_SIZE)
    else:
        rows = [(c, None) for c in selectors.campaigns_for_org(org)[:CAMPAIGNS_PAGE_SIZE]]
    now = clock.now()
    return render_page(
        request,
        "console/themedays/campaign_list.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "rows": [
                {
                    "campaign": c,
                    "own": c.org_id == org.pk,
                    "status": selectors.distribution_status(c),
                    "activity": a,
                    "stage": selectors.STAGE_LABELS[selectors.stage_of(a, now)],
                }
                for c, a in rows
            ],
            "is_branch": is_branch,
            "this_month": clock.today().month,
        },
    )


@require_http_methods(["GET", "POST"])
@admin_view
def campaign_create(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.CHANGE)
    today = clock.today()
    form = CampaignForm(
        posted(request),
        request.FILES or None,
        initial={
            "month": f"{today:%Y-%m}",
            "required_items": "\n".join(DEFAULT_REQUIRED_ITEMS),
            "optional_items": "\n".join(DEFAULT_OPTIONAL_ITEMS),
        },
    )

    def save():
        # The campaign and its attachments together, or nothing.
        with transaction.atomic():
            campaign = services.create_campaign(actor=actor, org=org, **form.service_fields())
            _attach_files(actor, campaign, request.FILES.getlist("attachments"))
        messages.success(request, _("已保存活动要求。请核对内容后点击“一键下发”，下发到各党支部。"))
        return redirect("console:campaign_detail", campaign_id=campaign.pk)

    context = {"org": org, "crumbs": trail(actor, org), "is_branch": org.kind == OrgKind.BRANCH}
    return form_page(request, form, "console/themedays/campaign_form.html", context, save)


def _campaign_context(actor, campaign) -> dict:
    status = selectors.distribution_status(campaign)
    can_change = permissions.can(actor, Action.CHANGE, campaign)
    return {
        "campaign": campaign,
        "status": status,
        "can_change": can_change,
        # Edited, deleted and its attachments removed only until it is sent.
        "can_edit": can_change and campaigns.is_editable(campaign),
    }


@require_GET
@admin_view
def campaign_detail(request, campaign_id: int):
    actor = request.user
    campaign = permissions.access_campaign(actor, campaign_id)
    top = campaign.parent or campaign
    scope = selectors.progress_scope(actor, top)
    context = _campaign_context(actor, campaign)
    context.update(
        {
            "crumbs": _org_crumbs(actor, campaign.org),
            "job": notification_selectors.latest_job(
                actor, services.distribution_subject(campaign)
            ),
            "attachments": list(campaign.attachments.order_by("id")),
            "supplements": selectors.visible_supplements(campaign, actor)
            if not campaign.is_supplement
            else [],
            "sector_names": [SECTOR_NAMES.get(s, s) for s in campaign.sectors],
            "supplement_orgs": selectors.supplement_orgs(actor, top),
            "top": top,
            "progress_scope": scope,
        }
    )
    return render_page(request, "console/themedays/campaign_detail.html", context)


@require_GET
@admin_view
def campaign_distribution(request, campaign_id: int):
    """The distribution card alone: drawn again once the job it shows has finished (its
    poll's `jobFinished`), so that its state is the job's without a reload."""
    actor = request.user
    campaign = permissions.access_campaign(actor, campaign_id)
    context = _campaign_context(actor, campaign)
    context["job"] = notification_selectors.latest_job(
        actor, services.distribution_subject(campaign)
    )
    return render(request, "console/themedays/partials/distribution.html", context)


@require_GET
@admin_view
def campaign_attachment(request, campaign_id: int, attachment_id: int):
    campaign = permissions.access_campaign(request.user, campaign_id)
    attachment = selectors.campaign_attachment(campaign, attachment_id)
    return attachment_response(attachment, cache_control="private, max-age=3600")


@require_POST
@admin_view
def campaign_attach(request, campaign_id: int):
    actor = request.user
    campaign = permissions.access_campaign(actor, campaign_id, Action.CHANGE)
    files = request.FILES.getlist("attachments")
    if not files:
        messages.error(request, _("请选择要上传的附件。"))
    else:
        try:
            with transaction.atomic():
                count = _attach_files(actor, campaign, files)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已上传 %d 个附件。") % count)
    return redirect("console:campaign_detail", campaign_id=campaign.pk)


def _distribution_message(campaign, already: bool) -> tuple[str, str]:
    status = selectors.distribution_status(campaign)
    counts = {"branches": campaign.distributed_branches, "members": campaign.notified_members}
    if status != "done":
        return "info", _("已开始在后台下发，稍后刷新本页查看下发结果。")
    if already:
        return "info", _(
            "该活动要求此前已下发，本次没有重复下发任何任务或通知"
            "（共 %(branches)d 个党支部，已通知 %(members)d 名党员）。"
        ) % counts
    return "success", _("下发完成：%(branches)d 个党支部，已通知 %(members)d 名党员。") % counts


@require_POST
@admin_view
def campaign_distribute(request, campaign_id: int):
    actor = request.user
    campaign = permissions.access_campaign(actor, campaign_id, Action.CHANGE)
    notice = job = None
    try:
        result = services.request_distribution(actor=actor, campaign=campaign)
    except DomainError as exc:
        notice = ("error", exc.message)
    else:
        # Eager (embedded) distribution has finished by now; on a worker it may not have,
        # and the job's progress, polled, shows it moving.
        campaign.refresh_from_db()
        notice = _distribution_message(campaign, result["already_distributed"])
        job = notification_selectors.access_job(actor, result["job"].pk)
    if request.htmx:
        context = _campaign_context(actor, campaign)
        context.update({"notice": notice, "job": job})
        return render(request, "console/themedays/partials/distribution.html", context)
    kind, text = notice
    {"success": messages.success, "info": messages.info, "error": messages.error}[kind](
        request, text
    )
    return redirect("console:campaign_detail", campaign_id=campaign.pk)


@require_http_methods(["GET", "POST"])
@admin_view
def supplement_create(request, campaign_id: int):
    actor = request.user
    parent = selectors.main_campaign(permissions.access_campaign(actor, campaign_id))
    orgs = selectors.supplement_orgs(actor, parent)
    if not orgs:
        raise permissions.forbidden()
    form = SupplementForm(posted(request), orgs=orgs)

    def save():
        data = form.cleaned_data
        services.add_supplement(
            actor=actor,
            parent=parent,
            # One of the form's choices, all of them administered by the actor.
            org=permissions.access_org(actor, data["org"], Action.CHANGE),
            guidance=data["guidance"],
            required_items=lines(data["required_items"]),
            optional_items=lines(data["optional_items"]),
        )
        messages.success(request, _("已添加补充要求，本组织所属党支部将同时看到。"))
        return redirect("console:campaign_detail", campaign_id=parent.pk)

    context = {"campaign": parent}
    return form_page(request, form, "console/themedays/supplement_form.html", context, save)


# Progress --------------------------------------------------------------------------------


@require_GET
@admin_view
def campaign_progress(request, campaign_id: int):
    actor = request.user
    campaign = selectors.main_campaign(permissions.access_campaign(actor, campaign_id))
    if request.GET.get("org"):
        org = permissions.access_org(actor, request.GET["org"], Action.CHANGE)
        if not (org.path.startswith(campaign.org.path) or campaign.org.path.startswith(org.path)):
            raise permissions.not_found()
    else:
        org = selectors.progress_scope(actor, campaign)
        if org is None:
            raise permissions.not_found()
    result = selectors.campaign_progress(campaign, org)

    stage = request.GET.get("stage", "")
    stage = stage if stage in selectors.STAGES else ""
    sector = request.GET.get("sector", "")
    sector = sector if sector in result.by_sector else ""
    overdue_only = request.GET.get("overdue") == "1"
    rows = [
        r
        for r in result.rows
        if (not stage or r.stage == stage)
        and (not sector or r.sector == sector)
        and (not overdue_only or r.overdue)
    ]

    def link(**params) -> str:
        return "?" + urlencode({"org": org.pk, **params}) + "#branches"

    def cells(counts: dict, **params) -> list[dict]:
        return [
            {"count": counts.get(s, 0), "url": link(stage=s, **params)} for s in selectors.STAGES
        ]

    children = [
        c
        for c in registry_selectors.children(org).exclude(kind=OrgKind.BRANCH)
        if c.path.startswith(campaign.org.path)
    ]
    filters = []
    if sector:
        filters.append(SECTOR_NAMES.get(sector, sector))
    if stage:
        filters.append(selectors.STAGE_LABELS[stage])
    if overdue_only:
        filters.append(_("逾期"))
    return render_page(
        request,
        "console/themedays/progress.html",
        {
            "campaign": campaign,
            "org": org,
            "crumbs": _org_crumbs(actor, org),
            "result": result,
            "stage_labels": [selectors.STAGE_LABELS[s] for s in selectors.STAGES],
            "stage_cards": [
                {"key": s, "label": selectors.STAGE_LABELS[s], **cell}
                for s, cell in zip(selectors.STAGES, cells(result.counts), strict=True)
            ],
            "sector_rows": [
                (SECTOR_NAMES.get(code, code), cells(counts, sector=code))
                for code, counts in result.by_sector.items()
            ],
            "total_cells": cells(result.counts),
            "total": sum(result.counts.values()),
            "overdue_url": link(overdue=1),
            "all_url": link(),
            "page": _progress_page(request, rows),
            "filters": filters,
            "children": children,
            "counties": _county_rows(campaign, org),
        },
    )


def _county_rows(campaign, org) -> list[dict]:
    """The per-county table (a county's own page has one county: no table), each county
    linking to its own progress."""
    rows = selectors.county_progress(campaign, org)
    if len(rows) < 2:
        return []
    return [
        {"c": c, "url": "?" + urlencode({"org": c.county_id}) if c.county_id else ""} for c in rows
    ]


def _progress_page(request, rows):
    """The page of progress rows, each with its labels (only the page's: a city has 8,000)."""
    page = paginate(request, rows, PROGRESS_PAGE_SIZE)
    # The required items a held activity has not marked done, for the page's rows at once.
    missing = orglife.missing_items(
        r.activity_id for r in page.object_list if r.stage in ("held", "closed")
    )
    page.object_list = [
        {
            "row": r,
            "sector": SECTOR_NAMES.get(r.sector, r.sector),
            "stage": selectors.STAGE_LABELS[r.stage],
            "missing": [LABEL_BY_CODE[code] for code in missing.get(r.activity_id, ())],
        }
        for r in page.object_list
    ]
    return page


# Review ----------------------------------------------------------------------------------


@require_GET
@admin_view
def review_queue(request):
    actor = request.user
    page = paginate(request, selectors.review_queue(actor), REVIEW_PAGE_SIZE)
    return render_page(request, "console/themedays/review_queue.html", {"page": page})


def _review(request, activity_id: int, service, success: str, **kwargs):
    """Approve or reject a plan (`success` names it by title and branch), then go back to
    where the reviewer was: the queue, or the plan."""
    activity = permissions.access_activity(request.user, activity_id, Action.REVIEW)
    names = {"title": activity.title, "branch": activity.branch.name}
    attempt(request, success % names, service, activity=activity, **kwargs)
    return redirect(_safe_next(request, reverse("console:activity_detail", args=[activity.pk])))


@require_POST
@admin_view
def activity_approve(request, activity_id: int):
    success = _("已通过“%(title)s”（%(branch)s）。")
    return _review(request, activity_id, services.approve_activity, success)


@require_POST
@admin_view
def activity_reject(request, activity_id: int):
    success = _("已退回“%(title)s”（%(branch)s），支部修改后可重新提交。")
    reason = request.POST.get("reason", "")
    return _review(request, activity_id, services.reject_activity, success, reason=reason)


# The activity ----------------------------------------------------------------------------


@require_GET
@admin_view
def activity_detail(request, activity_id: int):
    actor = request.user
    activity = permissions.access_activity(actor, activity_id)
    now = clock.now()
    roster = themedays_roster.roster_of(activity)
    can_change = permissions.can(actor, Action.CHANGE, activity)
    live = activity.status not in (ActivityStatus.CANCELLED, ActivityStatus.CLOSED)
    # The attendance pages take the same right as the plan (changing the activity); the
    # poster exists only while the approved activity has a check-in token.
    has_poster = (
        can_change and activity.status == ActivityStatus.APPROVED and bool(activity.checkin_token)
    )
    rotating = attendance_selectors.rotating_qr(activity) if has_poster else None
    return render_page(
        request,
        "console/themedays/activity_detail.html",
        {
            "activity": activity,
            "crumbs": _org_crumbs(actor, activity.branch),
            "stage": selectors.STAGE_LABELS[selectors.stage_of(activity, now)],
            "history": [
                (e, selectors.EVENT_LABELS.get(e.action, e.action))
                for e in selectors.history_of(activity)
            ],
            "roster": roster,
            "flowing_count": sum(1 for r in roster if r.is_flowing),
            "can_change": can_change,
            "can_review": permissions.can(actor, Action.REVIEW, activity)
            and activity.status == ActivityStatus.SUBMITTED,
            "can_cancel": can_change and live and activity.starts_at > now,
            "can_edit": can_change
            and live
            and (activity.starts_at > now or activity.is_late_record),
            "has_attendance": can_change
            and activity.status in (ActivityStatus.APPROVED, ActivityStatus.CLOSED),
            "has_poster": has_poster,
            "has_screen": rotating is not None and rotating.is_enabled,
        },
    )


@require_POST
@admin_view
def activity_cancel(request, activity_id: int):
    actor = request.user
    activity = permissions.access_activity(actor, activity_id, Action.CHANGE)
    attempt(
        request,
        _("活动已取消，已通知参加人员。本支部需要重新制定活动计划。"),
        services.cancel_activity,
        activity=activity,
        reason=request.POST.get("reason", ""),
    )
    return redirect("console:activity_detail", activity_id=activity.pk)


# Political birthdays ---------------------------------------------------------------------


def _month(value) -> int:
    try:
        month = int(value)
    except (TypeError, ValueError):
        return clock.today().month
    return month if 1 <= month <= 12 else clock.today().month


@require_GET
@admin_view
def birthdays(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.CHANGE)
    month = _month(request.GET.get("month"))
    error = ""
    if org.kind != OrgKind.BRANCH and request.GET.get("branch"):
        try:
            branch = resolve_org(actor, request.GET["branch"])
            if branch.kind != OrgKind.BRANCH or not branch.path.startswith(org.path):
                raise DomainError("not_a_branch", _("请选择本组织下属的党支部"))
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(reverse("console:birthdays", args=[branch.pk]) + f"?month={month}")
    year = clock.today().year
    members = (
        [(m, year - m.join_date.year) for m in selectors.political_birthdays(org, month)]
        if org.kind == OrgKind.BRANCH
        else []
    )
    return render_page(
        request,
        "console/themedays/birthdays.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "month": month,
            "months": range(1, 13),
            "members": members,
            "is_branch": org.kind == OrgKind.BRANCH,
            "error": error,
        },
    )
