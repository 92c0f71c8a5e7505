"""Theme days on the phone (docs/product.md, "Monthly theme days").

- The member's home shows this month's theme day of their branch (theme, guidance,
  required items, the infographic, and the time and place once the plan is approved) and
  their inbox (`home_context`, merged into `views.home`).
- The inbox: every notice, marking read, opening the object it is about.
- The branch secretary's plan editor: a draft pre-filled from the campaign, the venue typed
  or taken from the phone's position (`dj/plan.js`), schedule, agenda, optional items and
  check-in windows; save, submit, or submit a late record (补录) with its reason.

Every rule and its Chinese refusal is in `dangjian.themedays.services`; these views carry
input to it and put its `DomainError`s next to the form fields."""

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.core import clock, coords
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt
from dangjian.mobile.checkin import attendance_links
from dangjian.mobile.decorators import signed_in
from dangjian.notifications import selectors as notification_selectors
from dangjian.notifications import services as notification_services
from dangjian.permissions import Action
from dangjian.themedays import schedule, selectors, services
from dangjian.themedays.models import ActivityStatus

HOME_NOTICES = 5
INBOX_PAGE_SIZE = 20
# Shown on the home page: the plan is settled enough for members to come.
VISIBLE_TO_MEMBERS = (ActivityStatus.APPROVED, ActivityStatus.CLOSED)
# Where the service names a field that the phone form splits or renames.
FORM_FIELD = {
    "starts_at": "date",
    "ends_at": "end_time",
    "agenda": "required",
    "optional_items": "optional_other",
}


def _safe(request, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# The member's home -----------------------------------------------------------------------


def home_context(user, member) -> dict:
    """What the home page adds for theme days: this month's theme day and the inbox."""
    day = selectors.theme_day(member.branch)
    activity = day.activity if day else None
    visible = activity if activity and activity.status in VISIBLE_TO_MEMBERS else None
    return {
        "theme_day": day,
        "theme_attachments": list(day.campaign.attachments.order_by("id")) if day else [],
        "theme_activity": visible,
        "theme_attendance": attendance_links(user, visible) if visible else None,
        "can_plan": permissions.can(user, Action.CHANGE, member.branch),
        "plan_stage": selectors.STAGE_LABELS[selectors.stage_of(activity)] if day else "",
        "notices": list(notification_selectors.inbox(user)[:HOME_NOTICES]),
        "unread": notification_selectors.unread_count(user),
    }


@require_GET
@signed_in
def campaign_attachment(request, campaign_id: int, attachment_id: int):
    """The campaign's infographic or document, for those it is addressed to."""
    campaign = permissions.access_campaign(request.user, campaign_id)
    attachment = selectors.campaign_attachment(campaign, attachment_id)
    return attachment_response(attachment, cache_control="private, max-age=3600")


# The inbox -------------------------------------------------------------------------------


@require_GET
@signed_in
def inbox(request):
    page = Paginator(notification_selectors.inbox(request.user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "mobile/themedays/inbox.html",
        {"page": page, "unread": notification_selectors.unread_count(request.user)},
    )


@require_POST
@signed_in
def notice_read(request, notification_id: int):
    notice = notification_selectors.access_notification(request.user, notification_id)
    notification_services.mark_read(user=request.user, notification=notice)
    if request.htmx:
        return render(request, "mobile/themedays/partials/notice.html", {"notice": notice})
    return redirect(_safe(request, request.POST.get("next", ""), reverse("mobile:inbox")))


@require_POST
@signed_in
def notice_open(request, notification_id: int):
    """Mark the notice read and go to what it is about."""
    notice = notification_selectors.access_notification(request.user, notification_id)
    notification_services.mark_read(user=request.user, notification=notice)
    return redirect(_safe(request, notice.link, reverse("mobile:inbox")))


@require_POST
@signed_in
def inbox_read_all(request):
    count = notification_services.mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %d 条通知标为已读。") % count)
    return redirect("mobile:inbox")


# The plan editor -------------------------------------------------------------------------


def _minutes_field(label, initial_key: str, maximum_key: str) -> forms.IntegerField:
    policy = settings.ACTIVITY_POLICY
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=policy[maximum_key],
        initial=policy[initial_key],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": gettext_lazy("请填写分钟数"),
            "invalid": gettext_lazy("请填写整数分钟"),
            "min_value": gettext_lazy("不能小于 %(limit_value)s 分钟"),
            "max_value": gettext_lazy("不能超过 %(limit_value)s 分钟"),
        },
    )


def _time_field(label, required_message) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": required_message,
            "invalid": gettext_lazy("时间格式应为 HH:MM"),
        },
    )


def _lines_field(label, *, rows: int) -> forms.CharField:
    """Further items typed one a line (see `_lines`)."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=gettext_lazy("每行一项。"),
    )


class PlanForm(forms.Form):
    """Carries the phone's input to services.draft_activity / update_activity. Text and
    coordinates are judged by the service (with the same words as the API); this form only
    turns date + times, checkboxes and lines into the service's values."""

    title = forms.CharField(label=gettext_lazy("活动名称"), required=False, max_length=200)
    date = forms.DateField(
        label=gettext_lazy("活动日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("请选择活动日期"),
            "invalid": gettext_lazy("日期格式应为 YYYY-MM-DD"),
        },
    )
    start_time = _time_field(gettext_lazy("开始时间"), gettext_lazy("请填写开始时间"))
    end_time = _time_field(gettext_lazy("结束时间"), gettext_lazy("请填写结束时间"))
    venue_address = forms.CharField(label=gettext_lazy("活动地点"), required=False, max_length=300)
    latitude = forms.CharField(
        label=gettext_lazy("纬度"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "33.067800"}),
    )
    longitude = forms.CharField(
        label=gettext_lazy("经度"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "107.023400"}),
    )
    # The numbers are taken in the system of the map they were read from; "use my current
    # position" (dj/plan.js) gives WGS-84 and selects it.
    coord_system = forms.TypedChoiceField(
        label=gettext_lazy("坐标来源"),
        choices=[
            (coords.WGS84, gettext_lazy("GPS / 手机定位（WGS-84）")),
            (coords.GCJ02, gettext_lazy("高德、腾讯地图（GCJ-02）")),
            (coords.BD09, gettext_lazy("百度地图（BD-09）")),
        ],
        required=False,
        empty_value=coords.WGS84,
        initial=coords.WGS84,
        error_messages={"invalid_choice": gettext_lazy("请选择坐标来源")},
    )
    radius_m = forms.IntegerField(
        label=gettext_lazy("签到半径（米）"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": gettext_lazy("请填写签到半径"),
            "invalid": gettext_lazy("签到半径应为整数米"),
        },
    )
    required = forms.MultipleChoiceField(
        label=gettext_lazy("规定动作"), required=False, widget=forms.CheckboxSelectMultiple
    )
    extra_agenda = _lines_field(gettext_lazy("其他议程"), rows=3)
    optional = forms.MultipleChoiceField(
        label=gettext_lazy("自选动作"), required=False, widget=forms.CheckboxSelectMultiple
    )
    optional_other = _lines_field(gettext_lazy("其他自选动作"), rows=2)
    checkin_opens_before_min = _minutes_field(
        gettext_lazy("开始前多少分钟开放签到"),
        "checkin_opens_before_min",
        "max_checkin_opens_before_min",
    )
    checkin_closes_after_min = _minutes_field(
        gettext_lazy("开始后多少分钟截止签到"),
        "checkin_closes_after_min",
        "max_checkin_closes_after_min",
    )
    checkout_closes_after_min = _minutes_field(
        gettext_lazy("结束后多少分钟截止签退"),
        "checkout_closes_after_min",
        "max_checkout_closes_after_min",
    )

    def __init__(self, *args, required_items=(), optional_items=(), campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None:
            # The phone's date picker offers the holding window only.
            self.fields["date"].widget.attrs.update(
                min=campaign.holding_from.isoformat(), max=campaign.holding_until.isoformat()
            )
        self.fields["required"].choices = [(i, i) for i in required_items]
        self.fields["optional"].choices = [(i, i) for i in optional_items]
        self.fields["radius_m"].initial = settings.ACTIVITY_POLICY["default_radius_m"]

    def clean(self):
        """An impossible schedule is refused by the service's rule, next to its field."""
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is not None and start is not None and end is not None:
            try:
                schedule.check_schedule(
                    starts_at=_at(day, start),
                    ends_at=_at(day, end),
                    **{name: data.get(name) for name, _max in schedule.WINDOW_MINUTES},
                )
            except DomainError as exc:
                _put_error(self, exc)
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        day = data["date"]

        def at(time):
            return _at(day, time)

        required = [i for i, _label in self.fields["required"].choices if i in data["required"]]
        optional = [i for i, _label in self.fields["optional"].choices if i in data["optional"]]
        return {
            "title": data["title"],
            "starts_at": at(data["start_time"]),
            "ends_at": at(data["end_time"]),
            "venue_address": data["venue_address"],
            "latitude": data["latitude"].strip() or None,
            "longitude": data["longitude"].strip() or None,
            "coord_system": data["coord_system"],
            "radius_m": data["radius_m"],
            "agenda": required + _lines(data["extra_agenda"]),
            "optional_items": optional + _lines(data["optional_other"]),
            "checkin_opens_before_min": data["checkin_opens_before_min"],
            "checkin_closes_after_min": data["checkin_closes_after_min"],
            "checkout_closes_after_min": data["checkout_closes_after_min"],
        }


def _at(day, time) -> datetime:
    return timezone.make_aware(datetime.combine(day, time))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _initial_from(activity, required_items, optional_items) -> dict:
    local_start = timezone.localtime(activity.starts_at)
    local_end = timezone.localtime(activity.ends_at)
    return {
        "title": activity.title,
        "date": local_start.date(),
        "start_time": local_start.time().replace(second=0, microsecond=0),
        "end_time": local_end.time().replace(second=0, microsecond=0),
        "venue_address": activity.venue_address,
        "latitude": f"{activity.latitude}",
        "longitude": f"{activity.longitude}",
        "coord_system": coords.WGS84,
        "radius_m": activity.radius_m,
        "required": [i for i in activity.agenda if i in required_items],
        "extra_agenda": "\n".join(i for i in activity.agenda if i not in required_items),
        "optional": [i for i in activity.optional_items if i in optional_items],
        "optional_other": "\n".join(i for i in activity.optional_items if i not in optional_items),
        "checkin_opens_before_min": activity.checkin_opens_before_min,
        "checkin_closes_after_min": activity.checkin_closes_after_min,
        "checkout_closes_after_min": activity.checkout_closes_after_min,
    }


def _put_error(form: PlanForm, exc: DomainError) -> list[str]:
    """Show the service's refusal next to the field it names (else above the form);
    return the missing required items, if that was the refusal."""
    field = exc.details.get("field")
    field = FORM_FIELD.get(field, field)
    form.add_error(field if field in form.fields else None, exc.message)
    return list(exc.details.get("missing") or [])


def _items_for(campaign, branch) -> tuple[list[str], list[str]]:
    if campaign is None:
        return [], []
    day_items = selectors.required_items_for(campaign, branch)
    optional = list(campaign.optional_items)
    for supplement in selectors.supplements_for(campaign, branch):
        optional += [i for i in supplement.optional_items if i not in optional]
    return day_items, optional


def _plan_page(request, *, form, branch, campaign, activity=None, missing=(), status=200):
    now = clock.now()
    context = {
        "form": form,
        "branch": branch,
        "campaign": campaign,
        "activity": activity,
        "missing": list(missing),
        "supplements": selectors.supplements_for(campaign, branch) if campaign else [],
        "policy": settings.ACTIVITY_POLICY,
    }
    if activity is not None:
        live = activity.status not in (ActivityStatus.CANCELLED, ActivityStatus.CLOSED)
        started = activity.starts_at <= now
        history = list(selectors.history_of(activity))
        rejection = next((e for e in reversed(history) if e.action == "reject"), None)
        context.update(
            {
                "editable": live and (not started or activity.is_late_record),
                "can_submit": activity.status in (ActivityStatus.DRAFT, ActivityStatus.REJECTED)
                and not started,
                "can_late": activity.status in (ActivityStatus.DRAFT, ActivityStatus.REJECTED)
                and started,
                "history": [(e, selectors.EVENT_LABELS.get(e.action, e.action)) for e in history],
                "rejection": rejection if activity.status == ActivityStatus.REJECTED else None,
                "stage": selectors.STAGE_LABELS[selectors.stage_of(activity, now)],
            }
        )
    else:
        context.update({"editable": True, "can_submit": True, "can_late": False})
    return render(request, "mobile/themedays/plan_form.html", context, status=status)


@require_GET
@signed_in
def plans(request):
    """The branch secretary's list: each branch they administer, its latest campaigns and
    where its plan for each stands."""
    now = clock.now()
    branches = [
        (
            branch,
            [
                (c, a, selectors.STAGE_LABELS[selectors.stage_of(a, now)])
                for c, a in selectors.branch_plans(branch)
            ],
        )
        for branch in selectors.administered_branches(request.user)
    ]
    return render(request, "mobile/themedays/plans.html", {"branches": branches})


@require_http_methods(["GET", "POST"])
@signed_in
def plan_start(request, branch_id: int, campaign_id: int):
    """A new plan for a campaign, pre-filled from it; the live plan if there is one."""
    user = request.user
    branch = permissions.access_org(user, branch_id, Action.CHANGE)
    campaign = selectors.main_campaign(permissions.access_campaign(user, campaign_id))
    existing = selectors.current_activity_for_branch(branch, campaign)
    if existing is not None:
        return redirect("mobile:plan_edit", activity_id=existing.pk)
    required_items, optional_items = _items_for(campaign, branch)
    policy = settings.ACTIVITY_POLICY
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        required_items=required_items,
        optional_items=optional_items,
        campaign=campaign,
        initial={
            "title": _("%(month)d月主题党日：%(theme)s")
            % {"month": campaign.month.month, "theme": campaign.theme},
            "start_time": "09:00",
            "end_time": "11:00",
            "required": required_items,
            "radius_m": policy["default_radius_m"],
        },
    )
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.draft_activity(
                actor=user, branch=branch, campaign=campaign, **form.service_fields()
            )
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            missing = _put_error(form, exc)
        else:
            return _after_save(request, activity, created=True)
    return _plan_page(
        request,
        form=form,
        branch=branch,
        campaign=campaign,
        missing=missing,
        status=422 if form.errors else 200,
    )


def _after_save(request, activity, *, created: bool):
    if request.POST.get("action") == "submit":
        try:
            services.submit_activity(actor=request.user, activity=activity)
        except DomainError as exc:
            messages.error(
                request, _("草稿已保存，但未能提交：%(reason)s") % {"reason": exc.message}
            )
        else:
            messages.success(request, _("活动计划已提交，请等待上级党组织审核。"))
    else:
        messages.success(request, _("草稿已保存。") if created else _("已保存。"))
    return redirect("mobile:plan_edit", activity_id=activity.pk)


@require_http_methods(["GET", "POST"])
@signed_in
def plan_edit(request, activity_id: int):
    user = request.user
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    required_items, optional_items = _items_for(activity.campaign, activity.branch)
    initial = _initial_from(activity, required_items, optional_items)
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        required_items=required_items,
        optional_items=optional_items,
        campaign=activity.campaign,
        initial=initial,
    )
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        was_approved = activity.status == ActivityStatus.APPROVED
        try:
            activity = services.update_activity(
                actor=user, activity=activity, **form.service_fields()
            )
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            missing = _put_error(form, exc)
        else:
            if was_approved and activity.status == ActivityStatus.SUBMITTED:
                messages.info(request, _("已修改已通过的计划，计划已重新提交上级审核。"))
                return redirect("mobile:plan_edit", activity_id=activity.pk)
            return _after_save(request, activity, created=False)
    return _plan_page(
        request,
        form=form,
        branch=activity.branch,
        campaign=activity.campaign,
        activity=activity,
        missing=missing,
        status=422 if form.errors else 200,
    )


@require_POST
@signed_in
def plan_late(request, activity_id: int):
    """补录: the activity was held but not recorded in time; a reason goes with it."""
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    attempt(
        request,
        _("补录已提交上级审核，该活动将始终标注为“补录”。"),
        services.submit_late_record,
        activity=activity,
        reason=request.POST.get("reason", ""),
    )
    return redirect("mobile:plan_edit", activity_id=activity.pk)
