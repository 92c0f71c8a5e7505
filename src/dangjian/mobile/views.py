"""The member's phone pages. They show the signed-in user's own record only
(`permissions.own_member`), never anyone else's."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.attendance import participation
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.forms import OwnPasswordForm
from dangjian.mobile import themedays, wechat
from dangjian.mobile.decorators import member_view
from dangjian.permissions import Action
from dangjian.registry import services
from dangjian.supervision import review_selectors
from dangjian.themedays.models import ActivityStatus

# The branch's plan as its secretary reads it on the home, by the plan's status; a plan
# sent back is not a draft to them, it waits for their changes.
PLAN_STAGES = {
    None: gettext_lazy("未制定计划"),
    ActivityStatus.DRAFT: gettext_lazy("草稿，尚未提交审核"),
    ActivityStatus.SUBMITTED: gettext_lazy("已提交，等待上级审核"),
    ActivityStatus.REJECTED: gettext_lazy("被上级退回，请修改后重新提交"),
    ActivityStatus.APPROVED: gettext_lazy("已通过审核"),
    ActivityStatus.CLOSED: gettext_lazy("活动已结束"),
}
# What a member reads while the plan is not yet approved (time and place come with it).
PLAN_NOTES = {
    ActivityStatus.SUBMITTED: gettext_lazy(
        "本支部的活动计划已提交上级审核，审核通过后在这里公布活动时间和地点。"
    ),
    ActivityStatus.REJECTED: gettext_lazy(
        "本支部的活动计划正在按上级意见修改，审核通过后在这里公布活动时间和地点。"
    ),
}
PLAN_NOTE = gettext_lazy("本支部的活动时间和地点审核通过后在这里公布。")


def _own_status(activity, member, now) -> participation.OwnStatus | None:
    """The member's status on the month's activity, once there is one to tell: from the
    opening of check-in, or earlier when leave or a record already says something."""
    facts = participation.leave_facts(activity, member)
    status = participation.own_status(facts.attendance, facts.leave)
    if status == participation.OwnStatus.PENDING and now < activity.checkin_opens_at:
        return None
    return status


@require_GET
@member_view
def home(request, member):
    user = request.user
    is_admin = permissions.is_admin(user)
    # This month's theme day and the inbox.
    context = themedays.home_context(user, member)
    day = context["theme_day"]
    plan = day.activity if day else None
    activity = context["theme_activity"]
    on_roster = activity is not None and permissions.can(user, Action.TAKE_PART, activity)
    context.update(
        member=member,
        is_admin=is_admin,
        # Records a superior sent back to a branch the user runs (退回补充).
        sent_back=review_selectors.sent_back_records(user).count() if is_admin else 0,
        plan_stage=_plan_stage(plan),
        plan_note=PLAN_NOTES.get(plan.status, PLAN_NOTE) if plan else PLAN_NOTE,
        own_status=_own_status(activity, member, clock.now()) if on_roster else None,
    )
    return render(request, "mobile/home.html", context)


def _plan_stage(plan) -> str:
    if plan is None:
        return PLAN_STAGES[None]
    if plan.status == ActivityStatus.APPROVED and plan.starts_at <= clock.now():
        return _("已开展")
    return PLAN_STAGES.get(plan.status, plan.get_status_display())


@require_http_methods(["GET", "POST"])
@member_view
def profile(request, member):
    form = OwnPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            # Keep this phone signed in; other sessions end with the old password.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("mobile:profile")
    today = clock.today()
    join = member.join_date
    party_years = today.year - join.year - ((today.month, today.day) < (join.month, join.day))
    return render(
        request,
        "mobile/profile.html",
        {
            "member": member,
            "form": form,
            "party_years": party_years,
            **wechat.profile_context(request),
        },
    )
