"""Things waiting for admins, made through the services (at earlier moments where a service
refuses a date already past): the to-do panel's tests and its browser test read them.

County a's first branch: two plans waiting (with county b's one, three), a leave request,
a correction, a rectification due in three days, one overdue and one answered, a record
waiting for review and one sent back. County b: one plan, nothing else."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine

from dangjian.attendance import services as attendance
from dangjian.attendance.models import AttendanceStatus
from dangjian.core import clock
from dangjian.supervision import reviews
from dangjian.supervision import services as supervision
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity, ActivityStatus
from tests.conftest import World
from tests.factories import make_admin, make_member


@dataclass
class Scene:
    plans: list[Activity]
    record: Activity
    sent_back: Activity


def _plan(branch, admin, starts: datetime, title: str, submit: bool = True) -> Activity:
    activity = themedays.draft_activity(
        actor=admin,
        branch=branch,
        campaign=None,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    if submit:
        themedays.submit_activity(actor=admin, activity=activity)
    return activity


def _closed(branch, starts: datetime, title: str) -> Activity:
    """A theme day held and closed (written as the closing job leaves it)."""
    return Activity.objects.create(
        branch=branch,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        status=ActivityStatus.CLOSED,
        created_at=starts - timedelta(days=7),
        updated_at=starts,
        closed_at=starts + timedelta(hours=3),
    )


def more_plans(world: World, n: int, *, start: int = 0) -> list[Activity]:
    """`n` more plans of county a's other branch waiting for review (one a week apart)."""
    now = clock.now()
    return [
        _plan(
            world.a.other_branch,
            world.city_admin,
            now + timedelta(days=20 + 7 * i),
            f"补充计划{i}",
        )
        for i in range(start, start + n)
    ]


def build(world: World) -> Scene:
    now = clock.now()
    today = clock.today()
    a = world.a
    # Earlier: a plan approved before its start (held since), a rectification opened with a
    # deadline since passed.
    with time_machine.travel(now - timedelta(days=5), tick=False):
        held = _plan(a.branch, a.branch_admin, now - timedelta(days=2), "上周主题党日")
        held = themedays.approve_activity(actor=a.admin, activity=held)
        supervision.open_rectification(
            actor=a.admin,
            branch=a.branch,
            title="学习记录不完整",
            requirement="补齐学习记录",
            deadline=today - timedelta(days=2),
        )
    attendance.propose_correction(
        actor=a.branch_admin,
        activity=held,
        member=a.member,
        to_status=AttendanceStatus.CHECKED_IN,
        reason="现场手机没电，未能扫码",
    )

    plans = [
        _plan(a.branch, a.branch_admin, now + timedelta(days=10), "下月主题党日"),
        _plan(a.other_branch, a.admin, now + timedelta(days=11), "社区主题党日"),
        _plan(world.b.branch, world.b.branch_admin, now + timedelta(days=12), "南郑主题党日"),
    ]
    upcoming = _plan(a.branch, a.branch_admin, now + timedelta(days=3), "党课", submit=True)
    upcoming = themedays.approve_activity(actor=a.admin, activity=upcoming)
    attendance.request_leave(actor=a.member.user, activity=upcoming, reason="外出务工")

    supervision.open_rectification(
        actor=a.admin,
        branch=a.branch,
        title="活动照片不清晰",
        requirement="重新上传现场照片",
        deadline=today + timedelta(days=3),
    )
    answered = supervision.open_rectification(
        actor=a.admin,
        branch=a.branch,
        title="签到率偏低",
        requirement="说明原因并整改",
        deadline=today + timedelta(days=30),
    )
    supervision.answer_rectification(
        actor=a.branch_admin, rectification=answered, text="已逐一联系党员说明情况"
    )

    record = _closed(a.branch, now - timedelta(days=20), "十一月主题党日")
    sent_back = _closed(a.branch, now - timedelta(days=40), "十月主题党日")
    reviews.send_back_record(
        actor=a.admin,
        activity=sent_back,
        reason="总结过于简单，请补充",
        deadline=today + timedelta(days=5),
    )
    return Scene(plans=plans, record=record, sent_back=sent_back)


def build_more(world: World, n: int = 4) -> None:
    """`n` more of every other kind of item waiting in county a's other branch: leave
    requests, corrections, rectifications due, overdue and answered, records to review
    and sent back."""
    now = clock.now()
    today = clock.today()
    a = world.a
    branch = a.other_branch
    helpers = [make_member(world.city_admin, branch, name=f"党员{i}") for i in range(n)]
    secretary = make_admin(world.city_admin, branch, "社区支部书记")
    with time_machine.travel(now - timedelta(days=5), tick=False):
        held = _plan(branch, a.admin, now - timedelta(days=3), "上周社区主题党日")
        held = themedays.approve_activity(actor=world.city_admin, activity=held)
        for i in range(n):
            supervision.open_rectification(
                actor=a.admin,
                branch=branch,
                title=f"逾期整改{i}",
                requirement="补齐",
                deadline=today - timedelta(days=1),
            )
    upcoming = _plan(branch, a.admin, now + timedelta(days=4), "社区党课")
    upcoming = themedays.approve_activity(actor=world.city_admin, activity=upcoming)
    for member in helpers:
        attendance.propose_correction(
            actor=secretary,
            activity=held,
            member=member,
            to_status=AttendanceStatus.ABSENT,
            reason="未到场",
        )
        attendance.request_leave(actor=member.user, activity=upcoming, reason="出差")
    for i in range(n):
        supervision.open_rectification(
            actor=a.admin,
            branch=branch,
            title=f"整改{i}",
            requirement="补齐",
            deadline=today + timedelta(days=2),
        )
        answered = supervision.open_rectification(
            actor=a.admin,
            branch=branch,
            title=f"已答复整改{i}",
            requirement="补齐",
            deadline=today + timedelta(days=20),
        )
        supervision.answer_rectification(actor=secretary, rectification=answered, text="已整改")
        _closed(branch, now - timedelta(days=20 + i), f"待审查记录{i}")
        reviews.send_back_record(
            actor=a.admin,
            activity=_closed(branch, now - timedelta(days=60 + i), f"退回记录{i}"),
            reason="请补充",
            deadline=today + timedelta(days=5),
        )
