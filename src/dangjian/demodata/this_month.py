"""The demo's current month, so that its first screens have something to do today: the
month's campaign and the theme days already held (`simulation.simulate_running_month`),
and, through the real services, the plans of the branches whose day is still to come at
every stage (approved, waiting for review, drafts, none yet), the demo branch's theme day
approved for the coming days with a leave request waiting, and attendance corrections
waiting for a superior. An admin's to-do panel counts them (`supervision.todos`).

Skipped when the month's campaign exists already, so a second seed changes nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.utils import timezone

from dangjian.attendance import services as attendance
from dangjian.attendance.models import AttendanceRecord, AttendanceStatus
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.demodata import simulation
from dangjian.demodata.activities import SimulatedBranch
from dangjian.registry.models import Member, Organization, User
from dangjian.scoring import services as scoring
from dangjian.scoring.formula import Period
from dangjian.themedays import services as themedays
from dangjian.themedays.models import Activity, ActivityStatus, Campaign

DEMO_PHONES = {f"1390000000{i}" for i in range(1, 8)}
# Of the branches whose day is still to come: no plan yet, a draft, waiting for review;
# the rest approved.
NO_PLAN, DRAFT, SUBMITTED = 0.08, 0.12, 0.3
# Leave requests waiting in other branches than the demo one.
PENDING_LEAVES = 3
HOURS = (dtime(9), dtime(9, 30), dtime(14, 30), dtime(15))


@dataclass
class MonthFacts:
    held: int = 0
    plans: dict[str, int] | None = None
    leaves: int = 0
    corrections: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.held or self.plans or self.leaves or self.corrections)


def _starts(day: date, rng: random.Random, now: datetime) -> datetime:
    starts = timezone.make_aware(datetime.combine(day, rng.choice(HOURS)))
    while starts <= now + timedelta(hours=2):
        starts += timedelta(days=1)
    return starts


def _plan(
    *,
    actor: User,
    branch: Organization,
    campaign: Campaign,
    starts: datetime,
    b: SimulatedBranch,
) -> Activity:
    return themedays.draft_activity(
        actor=actor,
        branch=branch,
        campaign=campaign,
        title=campaign.theme,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=120),
        venue_address=f"{branch.name}党员活动室",
        latitude=f"{b.latitude:.6f}",
        longitude=f"{b.longitude:.6f}",
        agenda=list(campaign.required_items),
    )


def _plans(running: simulation.RunningMonth, village: Organization, seed: int) -> dict[str, int]:
    """The plans of the branches whose day is to come, by the branch's admin or else its
    reviewer, reviewed by the reviewer; the demo branch's approved for two days ahead."""
    rng = random.Random(f"{seed}:this-month:plans")
    now = clock.now()
    counts = {"approved": 0, "submitted": 0, "draft": 0, "none": 0}
    branches = Organization.objects.in_bulk([b.pk for b, _day in running.waiting])
    users = User.objects.in_bulk(
        {b.admin_id for b, _ in running.waiting if b.admin_id}
        | {b.reviewer_id for b, _ in running.waiting if b.reviewer_id}
    )
    # Each stage's share of the branches, shuffled: `draw` is a branch's place among them.
    waiting = [(b, day) for b, day in running.waiting if b.pk != village.pk]
    rng.shuffle(waiting)
    places = {b.pk: (k + 0.5) / len(waiting) for k, (b, _day) in enumerate(waiting)}
    for b, day in running.waiting:
        demo = b.pk == village.pk
        draw = places.get(b.pk, 1.0)
        if not demo and draw < NO_PLAN:
            counts["none"] += 1
            continue
        reviewer = users.get(b.reviewer_id)
        author = users.get(b.admin_id) or reviewer
        if author is None or reviewer is None:
            continue
        today = clock.today()
        first = today + timedelta(days=2) if demo else today.replace(day=day)
        first = min(first, simulation.campaign_until(running.campaign.month))
        try:
            activity = _plan(
                actor=author,
                branch=branches[b.pk],
                campaign=running.campaign,
                starts=_starts(max(first, today), rng, now),
                b=b,
            )
            if not demo and draw < NO_PLAN + DRAFT:
                counts["draft"] += 1
                continue
            activity = themedays.submit_activity(actor=author, activity=activity)
            if not demo and draw < NO_PLAN + DRAFT + SUBMITTED:
                counts["submitted"] += 1
                continue
            themedays.approve_activity(actor=reviewer, activity=activity)
            counts["approved"] += 1
        except DomainError:
            continue
    return counts


def _leaves(village: Organization, seed: int) -> int:
    """Members asking for leave from approved theme days still to come: one of the demo
    branch (its secretary decides) and a few elsewhere (the branches' superiors see them)."""
    rng = random.Random(f"{seed}:this-month:leaves")
    upcoming = (
        Activity.objects.filter(
            status=ActivityStatus.APPROVED, starts_at__gt=clock.now() + timedelta(hours=6)
        )
        .select_related("branch")
        .order_by("starts_at", "pk")
    )
    chosen = [a for a in upcoming if a.branch_id == village.pk][:1]
    others = [a for a in upcoming if a.branch_id != village.pk]
    chosen += rng.sample(others, k=min(PENDING_LEAVES, len(others)))
    made = 0
    for activity in chosen:
        member = (
            Member.objects.filter(branch_id=activity.branch_id, is_active=True, is_flowing=False)
            .exclude(user__phone__in=DEMO_PHONES)
            .order_by("pk")
            .first()
        )
        if member is None:
            continue
        try:
            attendance.request_leave(
                actor=member.user,
                activity=activity,
                reason=rng.choice(("家中老人住院，需陪护", "外出参加培训", "身体不适")),
            )
        except DomainError:
            continue
        made += 1
    return made


def _corrections(county: Organization, village: Organization, month: date) -> int:
    """Attendance corrections waiting for a superior: the county corrects a member of one of
    its branches marked absent this month (the city decides), the demo branch's secretary
    one of last month (the county decides)."""
    absent = AttendanceRecord.objects.filter(
        status=AttendanceStatus.ABSENT, activity__status=ActivityStatus.CLOSED
    ).order_by("activity__starts_at", "pk")
    proposals = []
    mine = (
        absent.filter(activity__campaign__month=month)
        .filter(activity__branch__path__startswith=county.path)
        .exclude(activity__branch=village)
        .select_related("activity", "member")
        .first()
    )
    if mine is not None:
        reason = "该党员当天在村委会值班，已补看学习内容，申请更正为已签退。"
        proposals.append(("13900000002", mine, reason))
    last = (month - timedelta(days=1)).replace(day=1)
    ours = (
        absent.filter(activity__campaign__month=last, activity__branch=village)
        .select_related("activity", "member")
        .first()
    )
    if ours is not None:
        proposals.append(("13900000003", ours, "手机没电未能扫码，现场签到表有签名。"))
    made = 0
    for phone, record, reason in proposals:
        try:
            attendance.propose_correction(
                actor=User.objects.get(phone=phone),
                activity=record.activity,
                member=record.member,
                to_status=AttendanceStatus.CHECKED_OUT,
                reason=reason,
            )
        except DomainError:
            continue
        made += 1
    return made


def seed_this_month(
    *,
    root: Organization,
    county: Organization,
    village: Organization,
    seed: int,
    progress: Callable[[str], None] = lambda _m: None,
) -> MonthFacts:
    """This month so far (see the module's docstring); only once a month."""
    facts = MonthFacts()
    running = simulation.simulate_running_month(
        root=root, seed=seed, exclude=frozenset({village.pk}), progress=progress
    )
    if running is None:
        return facts
    facts.held = running.held
    facts.plans = _plans(running, village, seed)
    facts.leaves = _leaves(village, seed)
    month = clock.today().replace(day=1)
    facts.corrections = _corrections(county, village, month)
    scoring.recompute(org=root, period=Period("month", month))
    progress(
        "this month: plans "
        + ", ".join(f"{k} {v}" for k, v in facts.plans.items())
        + f"; {facts.leaves} leave requests and {facts.corrections} corrections waiting"
    )
    return facts
