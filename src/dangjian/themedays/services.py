"""Writes for theme days: issuing and distributing campaigns, and the life of an activity
plan (draft → submitted → approved/rejected → closed, or cancelled). Every step is
permission-checked, transactional, kept as an ActivityEvent and audited."""

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock, coords
from dangjian.core.errors import DomainError, refuse_unknown_fields
from dangjian.core.files import save_document
from dangjian.core.locking import locked, refused_on_conflict
from dangjian.core.scheduling import resume_unfinished
from dangjian.core.text import checked_text
from dangjian.notifications import jobs
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.themedays import roster, schedule, selectors
from dangjian.themedays.models import (
    DEFAULT_REQUIRED_ITEMS,
    Activity,
    ActivityEvent,
    ActivityStatus,
    Campaign,
    CampaignAttachment,
    PlanningTask,
    RosterEntry,
)

CAMPAIGN_AUDIT_FIELDS = (
    "month",
    "theme",
    "guidance",
    "required_items",
    "optional_items",
    "holding_from",
    "holding_until",
    "sectors",
    "parent_id",
)
ACTIVITY_AUDIT_FIELDS = (
    "title",
    "campaign_id",
    "starts_at",
    "ends_at",
    "venue_address",
    "latitude",
    "longitude",
    "radius_m",
    "agenda",
    "optional_items",
    "checkin_opens_before_min",
    "checkin_closes_after_min",
    "checkout_closes_after_min",
    "status",
    "is_late_record",
)
EDITABLE_ACTIVITY_FIELDS = frozenset(ACTIVITY_AUDIT_FIELDS) - {
    "status",
    "is_late_record",
    "campaign_id",
}
# A distribution requested this long ago and not finished is run again by the scheduler.
DISTRIBUTION_RESUME_AFTER = timedelta(minutes=10)


# Campaigns -------------------------------------------------------------------------------


def _clean_items(items, *, field: str, required: bool) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise DomainError("validation_error", _("事项应为文字列表"), field=field)
    cleaned = list(dict.fromkeys(i.strip() for i in items if i and i.strip()))
    if any(len(i) > 50 for i in cleaned):
        raise DomainError("validation_error", _("每个事项不能超过50个字"), field=field)
    if required and not cleaned:
        raise DomainError("validation_error", _("至少需要一项规定动作"), field=field)
    return cleaned


def _clean_sectors(sectors) -> list[str]:
    from dangjian.registry.models import sector_from_input

    out = []
    for value in sectors or []:
        code = sector_from_input(str(value))
        if code is None:
            raise DomainError("validation_error", _("所属领域无效：%s") % value, field="sectors")
        out.append(code)
    return sorted(set(out))


@transaction.atomic
def create_campaign(
    *,
    actor: User,
    org: Organization,
    month: date | str,
    theme: str,
    holding_from: date,
    holding_until: date,
    guidance: str = "",
    required_items: list[str] | None = None,
    optional_items: list[str] | None = None,
    sectors: list[str] | None = None,
) -> Campaign:
    permissions.require(actor, Action.CHANGE, org)
    if org.kind == OrgKind.BRANCH:
        raise DomainError("invalid_org", _("活动要求应由上级党组织下发"))
    message = _("主题不能为空，且不超过200个字")
    theme = checked_text(theme, field="theme", missing=message, limit=200, too_long=message)
    first = schedule.first_of_month(month)
    if holding_until < holding_from:
        raise DomainError(
            "validation_error", _("开展时间的结束日期不能早于开始日期"), field="holding_until"
        )
    return _new_campaign(
        actor=actor,
        org=org,
        action="campaign.create",
        month=first,
        theme=theme,
        guidance=(guidance or "").strip(),
        required_items=_clean_items(
            DEFAULT_REQUIRED_ITEMS if required_items is None else required_items,
            field="required_items",
            required=True,
        ),
        optional_items=_clean_items(optional_items, field="optional_items", required=False),
        holding_from=holding_from,
        holding_until=holding_until,
        sectors=_clean_sectors(sectors),
    )


@transaction.atomic
def add_supplement(
    *,
    actor: User,
    parent: Campaign,
    org: Organization,
    guidance: str = "",
    required_items: list[str] | None = None,
    optional_items: list[str] | None = None,
) -> Campaign:
    """A lower organization's additional requirements to its superior's campaign, for its
    own subtree. Its branches must cover the parent's and the supplement's required items."""
    permissions.require(actor, Action.CHANGE, org)
    parent = selectors.main_campaign(parent)
    if not org.path.startswith(parent.org.path) or org.pk == parent.org_id:
        raise DomainError("invalid_org", _("只能为上级党组织的活动要求补充本组织的要求"))
    if org.kind == OrgKind.BRANCH:
        raise DomainError("invalid_org", _("党支部不能补充活动要求"))
    extra = _clean_items(required_items, field="required_items", required=False)
    if not extra and not (guidance or "").strip():
        raise DomainError("validation_error", _("请填写补充要求"), field="guidance")
    return _new_campaign(
        actor=actor,
        org=org,
        action="campaign.supplement",
        parent=parent,
        month=parent.month,
        theme=parent.theme,
        guidance=(guidance or "").strip(),
        required_items=extra,
        optional_items=_clean_items(optional_items, field="optional_items", required=False),
        holding_from=parent.holding_from,
        holding_until=parent.holding_until,
        sectors=parent.sectors,
    )


def _new_campaign(*, actor: User, org: Organization, action: str, **fields) -> Campaign:
    """Save a campaign or supplement whose fields are checked, and audit it."""
    now = clock.now()
    campaign = Campaign.objects.create(
        org=org, created_by=actor, created_at=now, updated_at=now, **fields
    )
    snapshot = audit.snapshot(campaign, CAMPAIGN_AUDIT_FIELDS)
    audit.record(actor=actor, action=action, obj=campaign, org=org, after=snapshot)
    return campaign


@transaction.atomic
def add_campaign_attachment(
    *, actor: User, campaign: Campaign, file, name: str
) -> CampaignAttachment:
    """The month's infographic or document: images (PNG/JPEG/WebP) and PDF, sniffed from
    the content, not the name."""
    permissions.require(actor, Action.CHANGE, campaign)
    attachment = CampaignAttachment(campaign=campaign)
    noted = save_document(attachment, file, name=name, created_at=clock.now())
    audit.record(actor=actor, action="campaign.attach", obj=campaign, org=campaign.org, after=noted)
    return attachment


@transaction.atomic
def request_distribution(*, actor: User, campaign: Campaign) -> dict:
    """One click: every branch in scope gets a planning task and every active member a
    notice. The work runs in the background in batches and is idempotent, so a second
    click adds nothing (and says so) unless branches or members appeared meanwhile."""
    permissions.require(actor, Action.CHANGE, campaign)
    if campaign.is_supplement:
        raise DomainError(
            "supplement_not_distributable", _("补充要求随上级活动要求一并下发，无需单独下发")
        )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    from dangjian.themedays.tasks import distribute_campaign

    # The job the page watches, made before the task can run (it runs once this commits).
    job = jobs.start_job(
        actor=actor,
        kind="distribution",
        subject=distribution_subject(campaign),
        title=_("下发：%s") % campaign.theme,
        org=campaign.org,
    )
    # A second click runs it again but keeps the first request's time for the sweep.
    result = notifications.request_fanout(
        actor=actor,
        issue=campaign,
        requested="distribution_requested_at",
        task=distribute_campaign,
        action="campaign.distribute",
        noted="already_distributed",
        restamp=False,
    )
    return {**result, "job": job}


def distribution_subject(campaign: Campaign) -> str:
    """What a distribution's job is about (notifications.jobs)."""
    return f"distribution:{campaign.pk}"


def distribute(campaign_id: int) -> Campaign:
    """The background half of request_distribution: batches of branches, each batch in its
    own transaction; totals are counted at the end, so concurrent or repeated runs agree."""
    campaign = Campaign.objects.select_related("org").get(pk=campaign_id)
    branch_ids = list(selectors.branches_in_scope(campaign).values_list("pk", flat=True))
    job = jobs.open_job(distribution_subject(campaign))
    jobs.begin(job, total=len(branch_ids))
    try:
        _distribute(campaign, branch_ids, job)
    except Exception:
        jobs.fail(job)
        raise
    campaign.refresh_from_db()
    jobs.succeed(
        job,
        summary=_("下发完成：%(branches)d 个党支部，已通知 %(members)d 名党员。")
        % {"branches": campaign.distributed_branches, "members": campaign.notified_members},
        result_url=f"/console/campaigns/{campaign.pk}/progress/",
    )
    return campaign


def _distribute(campaign: Campaign, branch_ids: list[int], job) -> None:
    title = _("本月主题党日：%s") % campaign.theme
    body = _("%(month)s 主题党日活动要求已下发，开展时间 %(start)s 至 %(end)s。") % {
        "month": campaign.month_label,
        "start": campaign.holding_from.isoformat(),
        "end": campaign.holding_until.isoformat(),
    }

    def plan_tasks(chunk: list[int]) -> None:
        now = clock.now()
        PlanningTask.objects.bulk_create(
            [PlanningTask(campaign=campaign, branch_id=b, created_at=now) for b in chunk],
            batch_size=1000,
            ignore_conflicts=True,
        )

    notifications.notify_branch_members(
        branch_ids=branch_ids,
        kind=campaign.notice_kind,
        title=title,
        body=body,
        link="/m/",
        dedupe_key=campaign.dedupe_key,
        with_batch=plan_tasks,
        batch=settings.DISTRIBUTION_BRANCH_BATCH,
        on_progress=lambda steps: jobs.advance(job, steps),
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        distributed_branches=PlanningTask.objects.filter(campaign=campaign).count(),
        notified_members=notifications.count_with_key(campaign.dedupe_key),
        distributed_at=clock.now(),
    )


def resume_distributions() -> int:
    """Scheduled safety net: run again the distributions requested a while ago and not
    finished (their task was never queued because Redis was down, or it was lost with a
    worker that died); distribute() is idempotent, so what was done is not done twice."""
    return resume_unfinished(
        Campaign.objects.all(),
        requested="distribution_requested_at",
        finished="distributed_at",
        after=DISTRIBUTION_RESUME_AFTER,
        run=distribute,
    )


# Activity plans --------------------------------------------------------------------------


def _as_aware(value: datetime | str, field: str) -> datetime:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is None:
            raise DomainError("validation_error", _("时间格式无效"), field=field)
        value = parsed
    if not isinstance(value, datetime):
        raise DomainError("validation_error", _("时间格式无效"), field=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _decimal(value, field: str, low: int, high: int) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("validation_error", _("坐标应为数字"), field=field) from None
    if not low <= number <= high or not number.is_finite():
        raise DomainError("validation_error", _("坐标超出范围"), field=field)
    return number


def _venue_in_wgs84(latitude, longitude, coord_system: str):
    """The venue's position as stored (WGS-84), from the system of the map it was picked
    on; in another system than WGS-84 both coordinates are needed together."""
    if coords.check_system(coord_system) == coords.WGS84:
        return latitude, longitude
    latitude = _decimal(latitude, "latitude", -90, 90)
    longitude = _decimal(longitude, "longitude", -180, 180)
    return coords.to_wgs84(float(latitude), float(longitude), coord_system)


def _check_plan(activity: Activity) -> None:
    """The rules of a plan, checked on every draft and edit."""
    policy = settings.ACTIVITY_POLICY
    activity.title = (activity.title or "").strip()
    if not activity.title or len(activity.title) > 200:
        raise DomainError("validation_error", _("活动名称不能为空，且不超过200个字"), field="title")
    activity.starts_at = _as_aware(activity.starts_at, "starts_at")
    activity.ends_at = _as_aware(activity.ends_at, "ends_at")
    for name, _maximum in schedule.WINDOW_MINUTES:
        if getattr(activity, name) is None:
            raise DomainError("validation_error", _("请填写签到/签退时间设置"), field=name)
    schedule.check_schedule_of(activity, policy=policy)
    activity.venue_address = (activity.venue_address or "").strip()
    if not activity.venue_address or len(activity.venue_address) > 300:
        raise DomainError("validation_error", _("请填写活动地点"), field="venue_address")
    activity.latitude = _decimal(activity.latitude, "latitude", -90, 90)
    activity.longitude = _decimal(activity.longitude, "longitude", -180, 180)
    if not policy["min_radius_m"] <= int(activity.radius_m) <= policy["max_radius_m"]:
        raise DomainError(
            "validation_error",
            _("签到半径应在 %(min)d 到 %(max)d 米之间")
            % {"min": policy["min_radius_m"], "max": policy["max_radius_m"]},
            field="radius_m",
        )
    activity.agenda = _clean_items(activity.agenda, field="agenda", required=False)
    activity.optional_items = _clean_items(
        activity.optional_items, field="optional_items", required=False
    )
    if activity.campaign_id:
        campaign = activity.campaign
        local_day = timezone.localdate(activity.starts_at)
        if not campaign.holding_from <= local_day <= campaign.holding_until:
            raise DomainError(
                "outside_holding_window",
                _("活动日期应在 %(start)s 至 %(end)s 之间")
                % {"start": campaign.holding_from, "end": campaign.holding_until},
                field="starts_at",
            )
        required = selectors.required_items_for(campaign, activity.branch)
        missing = [item for item in required if item not in activity.agenda]
        if missing:
            raise DomainError(
                "required_items_missing",
                _("活动议程缺少规定动作：%s") % "、".join(missing),
                field="agenda",
                missing=missing,
            )


def _event(activity: Activity, *, action: str, actor, from_status: str, reason: str = ""):
    ActivityEvent.objects.create(
        activity=activity,
        action=action,
        from_status=from_status,
        to_status=activity.status,
        actor=actor,
        reason=reason[:300],
        at=clock.now(),
    )


def _snapshot(activity: Activity) -> dict:
    return audit.snapshot(activity, ACTIVITY_AUDIT_FIELDS)


def _audit(activity: Activity, *, actor: User | None, action: str, **entry) -> None:
    """An activity's audit entry: `activity.<action>`, filed under its branch."""
    audit.record(
        actor=actor, action=f"activity.{action}", obj=activity, org=activity.branch, **entry
    )


@transaction.atomic
def draft_activity(
    *,
    actor: User,
    branch: Organization,
    campaign: Campaign | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    venue_address: str,
    latitude,
    longitude,
    agenda: list[str],
    radius_m: int = 300,
    coord_system: str = coords.WGS84,
    optional_items: list[str] | None = None,
    checkin_opens_before_min: int | None = None,
    checkin_closes_after_min: int | None = None,
    checkout_closes_after_min: int | None = None,
) -> Activity:
    permissions.require(actor, Action.CHANGE, branch)
    if branch.kind != OrgKind.BRANCH:
        raise DomainError("not_a_branch", _("只有党支部可以制定活动计划"), field="branch_id")
    if campaign is not None:
        campaign = selectors.main_campaign(campaign)
        if not selectors.campaign_applies_to(campaign, branch):
            raise DomainError(
                "campaign_not_applicable", _("该活动要求不适用于本支部"), field="campaign_id"
            )
    latitude, longitude = _venue_in_wgs84(latitude, longitude, coord_system)
    policy = settings.ACTIVITY_POLICY
    now = clock.now()
    activity = Activity(
        branch=branch,
        campaign=campaign,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        venue_address=venue_address,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        agenda=agenda,
        optional_items=optional_items or [],
        checkin_opens_before_min=(
            policy["checkin_opens_before_min"]
            if checkin_opens_before_min is None
            else checkin_opens_before_min
        ),
        checkin_closes_after_min=(
            policy["checkin_closes_after_min"]
            if checkin_closes_after_min is None
            else checkin_closes_after_min
        ),
        checkout_closes_after_min=(
            policy["checkout_closes_after_min"]
            if checkout_closes_after_min is None
            else checkout_closes_after_min
        ),
        status=ActivityStatus.DRAFT,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _check_plan(activity)
    with refused_on_conflict("plan_exists", _("本支部已有该月的活动计划")):
        activity.save()
    _event(activity, action="draft", actor=actor, from_status="")
    _audit(activity, actor=actor, action="draft", after=_snapshot(activity))
    return activity


def _locked(activity: Activity) -> Activity:
    return locked(activity, "branch", "campaign")


def _required_reason(reason: str, message: str) -> str:
    return checked_text(reason, field="reason", missing=message, missing_code="reason_required")


def move_activity(
    activity: Activity,
    to: str,
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    noted: dict | None = None,
    **changes,
) -> None:
    """One step of a plan's life: the new status and `changes` saved; the step kept as an
    event and audited (with `noted`, by default the reason, next to the new status)."""
    from_status = activity.status
    activity.status = to
    activity.updated_at = clock.now()
    for name, value in changes.items():
        setattr(activity, name, value)
    activity.save(update_fields=["status", "updated_at", *changes])
    _event(activity, action=action, actor=actor, from_status=from_status, reason=reason)
    if noted is None:
        noted = {"reason": reason} if reason else {}
    _audit(
        activity,
        actor=actor,
        action=action,
        before={"status": from_status},
        after={"status": to, **noted},
    )


@transaction.atomic
def update_activity(*, actor: User, activity: Activity, **changes) -> Activity:
    """Edit a plan before it starts, to a start that has not passed either (a late record
    excepted). Editing an approved plan sends it back to review."""
    permissions.require(actor, Action.CHANGE, activity)
    coord_system = coords.check_system(changes.pop("coord_system", coords.WGS84))
    if coord_system != coords.WGS84 and {"latitude", "longitude"} & set(changes):
        changes["latitude"], changes["longitude"] = _venue_in_wgs84(
            changes.get("latitude"), changes.get("longitude"), coord_system
        )
    refuse_unknown_fields(changes, EDITABLE_ACTIVITY_FIELDS)
    activity = _locked(activity)
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.CLOSED):
        raise DomainError("not_editable", _("已取消或已结束的活动不能修改"))
    if activity.starts_at <= clock.now() and not activity.is_late_record:
        raise DomainError("start_passed", _("活动已开始，不能再修改计划"))
    before = _snapshot(activity)
    for name, value in changes.items():
        setattr(activity, name, value)
    _check_plan(activity)
    if activity.starts_at <= clock.now() and not activity.is_late_record:
        # Only a flagged late record (补录) may lie in the past: an edit cannot move a
        # plan there and have it approved as if it had been planned in time.
        raise DomainError(
            "start_passed",
            _("开始时间不能改到已经过去的时间；已开展但未及时录入的活动请提交补录"),
            field="starts_at",
        )
    old, new = audit.diff(before, _snapshot(activity))
    if not new:
        return activity
    from_status = activity.status
    if activity.status == ActivityStatus.APPROVED:
        activity.status = ActivityStatus.SUBMITTED
        activity.submitted_at = clock.now()
        new["status"] = activity.status
    activity.updated_at = clock.now()
    activity.save()
    _event(activity, action="edit", actor=actor, from_status=from_status)
    _audit(activity, actor=actor, action="update", before=old, after=new)
    return activity


@transaction.atomic
def submit_activity(*, actor: User, activity: Activity) -> Activity:
    permissions.require(actor, Action.CHANGE, activity)
    activity = _locked(activity)
    if activity.status not in (ActivityStatus.DRAFT, ActivityStatus.REJECTED):
        raise DomainError("invalid_status", _("只有草稿或被退回的计划可以提交"))
    if activity.starts_at <= clock.now():
        raise DomainError(
            "start_passed",
            _("活动开始时间已过，不能按正常流程提交；如需补录，请说明原因提交补录申请"),
        )
    _check_plan(activity)
    move_activity(
        activity, ActivityStatus.SUBMITTED, actor=actor, action="submit", submitted_at=clock.now()
    )
    _notify_reviewers(activity)
    return activity


@transaction.atomic
def submit_late_record(*, actor: User, activity: Activity, reason: str) -> Activity:
    """补录: an activity that was held but not recorded in time. It needs a reason, goes to
    the superior like any plan, and stays flagged for ever."""
    permissions.require(actor, Action.CHANGE, activity)
    reason = _required_reason(reason, _("补录须说明原因"))
    activity = _locked(activity)
    if activity.status not in (ActivityStatus.DRAFT, ActivityStatus.REJECTED):
        raise DomainError("invalid_status", _("只有草稿或被退回的计划可以提交"))
    if activity.starts_at > clock.now():
        raise DomainError("not_late", _("活动尚未开始，请按正常流程提交"))
    move_activity(
        activity,
        ActivityStatus.SUBMITTED,
        actor=actor,
        action="submit_late",
        reason=reason,
        noted={"late_reason": reason},
        is_late_record=True,
        late_reason=reason[:300],
        submitted_at=clock.now(),
    )
    _notify_reviewers(activity)
    return activity


def _notify_reviewers(activity: Activity) -> None:
    reviewers = permissions.reviewer_user_ids(activity.branch)
    notifications.notify(
        user_ids=reviewers,
        kind="plan_submitted",
        title=_("待审核：%s") % activity.title,
        body=_("%(branch)s 提交了活动计划，请审核。") % {"branch": activity.branch.name},
        link=f"/console/activities/{activity.pk}/",
    )


@transaction.atomic
def approve_activity(*, actor: User, activity: Activity) -> Activity:
    permissions.require(actor, Action.REVIEW, activity)
    activity = _locked(activity)
    if activity.status != ActivityStatus.SUBMITTED:
        raise DomainError("invalid_status", _("只有待审核的计划可以审批"))
    now = clock.now()
    if activity.starts_at <= now and not activity.is_late_record:
        raise DomainError(
            "start_passed",
            _("活动开始时间已过，不能再审核通过；请退回，由支部提交补录"),
        )
    token = {}
    if not activity.checkin_token:
        # The check-in secret comes with the first approval and survives a re-approval.
        token = {"checkin_token": secrets.token_urlsafe(24), "token_generated_at": now}
    move_activity(
        activity, ActivityStatus.APPROVED, actor=actor, action="approve", reviewed_at=now, **token
    )
    _tell_branch(activity, "plan_approved", _("活动计划已通过：%s") % activity.title)
    return activity


def _tell_branch(activity: Activity, kind: str, title: str, body: str = "") -> None:
    """The review's answer reaches the branch's admins on the plan's phone page: they run
    the month on the phone (mobile:plan_edit)."""
    notifications.notify(
        user_ids=permissions.branch_admin_user_ids(activity.branch),
        kind=kind,
        title=title,
        body=body,
        link=f"/m/plans/{activity.pk}/",
    )


@transaction.atomic
def reject_activity(*, actor: User, activity: Activity, reason: str) -> Activity:
    permissions.require(actor, Action.REVIEW, activity)
    reason = _required_reason(reason, _("退回须说明原因"))
    activity = _locked(activity)
    if activity.status != ActivityStatus.SUBMITTED:
        raise DomainError("invalid_status", _("只有待审核的计划可以审批"))
    move_activity(
        activity,
        ActivityStatus.REJECTED,
        actor=actor,
        action="reject",
        reason=reason,
        reviewed_at=clock.now(),
    )
    _tell_branch(activity, "plan_rejected", _("活动计划被退回：%s") % activity.title, reason)
    return activity


@transaction.atomic
def cancel_activity(*, actor: User, activity: Activity, reason: str) -> Activity:
    """Cancel before the start: check-in is refused from now on, no absences are marked,
    the roster is told, and the branch plans again."""
    permissions.require(actor, Action.CHANGE, activity)
    reason = _required_reason(reason, _("取消活动须说明原因"))
    activity = _locked(activity)
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.CLOSED):
        raise DomainError("invalid_status", _("该活动已取消或已结束"))
    if activity.starts_at <= clock.now():
        raise DomainError("start_passed", _("活动已开始，不能取消"))
    from_status = activity.status
    move_activity(
        activity,
        ActivityStatus.CANCELLED,
        actor=actor,
        action="cancel",
        reason=reason,
        cancel_reason=reason[:300],
    )
    # A cancelled activity is not held: its score (if any) goes, and its branch's month.
    from dangjian.scoring import services as scoring

    scoring.inputs_changed(activity_id=activity.pk)
    if from_status == ActivityStatus.APPROVED:
        notifications.notify(
            user_ids=[m.user_id for m in roster.roster_of(activity)],
            kind="activity_cancelled",
            title=_("活动取消：%s") % activity.title,
            body=reason,
            link="/m/",
        )
    return activity


@transaction.atomic
def regenerate_checkin_token(*, actor: User, activity: Activity) -> Activity:
    """A new secret for the check-in QR code; posters printed before stop working."""
    permissions.require(actor, Action.CHANGE, activity)
    activity = _locked(activity)
    if activity.status != ActivityStatus.APPROVED:
        raise DomainError("not_approved", _("活动尚未通过审核"))
    activity.checkin_token = secrets.token_urlsafe(24)
    activity.token_generated_at = clock.now()
    activity.save(update_fields=["checkin_token", "token_generated_at"])
    _audit(activity, actor=actor, action="regenerate_token")
    return activity


# Roster ----------------------------------------------------------------------------------


@transaction.atomic
def freeze_roster(*, activity: Activity) -> int:
    """Write the roster as it stood at the start. Membership at that instant is rebuilt
    from the transfer history, so a job that runs late still freezes the right people."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.roster_frozen_at is not None:
        return 0
    members = roster.members_at(activity.branch_id, activity.starts_at)
    RosterEntry.objects.bulk_create(
        [RosterEntry(activity=activity, member_id=m.pk, is_flowing=m.is_flowing) for m in members],
        batch_size=2000,
        ignore_conflicts=True,
    )
    activity.roster_frozen_at = clock.now()
    activity.save(update_fields=["roster_frozen_at"])
    return len(members)


def freeze_due_rosters() -> int:
    """Scheduled: freeze the roster of every approved activity that has started."""
    due = Activity.objects.filter(
        status=ActivityStatus.APPROVED, starts_at__lte=clock.now(), roster_frozen_at__isnull=True
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        freeze_roster(activity=Activity(pk=pk))
        count += 1
    return count
