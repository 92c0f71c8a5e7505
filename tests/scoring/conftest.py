"""Activities with their score inputs written straight into the attendance and
interaction tables: these tests are about counting and scoring, not about the rules of
checking in or commenting (tested in their own apps)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.attendance.models import AttendanceRecord, record_month
from dangjian.interaction.models import ActivityLike, Comment, Photo, Rating, Summary
from dangjian.registry.models import Member, Organization
from dangjian.themedays.models import Activity, ActivityStatus, Campaign, RosterEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The tests live in January 2027, after the December 2026 theme days closed.
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def campaign_for(org: Organization, month: date) -> Campaign:
    found = Campaign.objects.filter(org=org, month=month, parent__isnull=True).first()
    if found:
        return found
    at = datetime(month.year, month.month, 1, 8, tzinfo=SHANGHAI)
    return Campaign.objects.create(
        org=org,
        month=month,
        theme=f"{month:%Y年%m月}主题党日",
        holding_from=month,
        holding_until=month + timedelta(days=19),
        created_at=at,
        updated_at=at,
    )


def make_activity(
    branch: Organization,
    month: date,
    *,
    campaign_org: Organization | None = None,
    status: str = ActivityStatus.CLOSED,
    freeze: bool = True,
    campaign: bool = True,
    closed_at: datetime | None = None,
) -> Activity:
    """A theme day on the 10th of `month`, 09:00–11:00, closed at noon (by default), with
    the branch's active members frozen on its roster."""
    root = campaign_org or Organization.objects.get(path=branch.path[: Organization.steplen])
    starts = datetime(month.year, month.month, 10, 9, tzinfo=SHANGHAI)
    activity = Activity.objects.create(
        branch=branch,
        campaign=campaign_for(root, month) if campaign else None,
        title=f"{branch.name} {month:%Y-%m}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue_address="党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        status=status,
        created_at=starts - timedelta(days=5),
        updated_at=starts - timedelta(days=5),
        roster_frozen_at=starts if freeze else None,
        closed_at=(closed_at or starts + timedelta(hours=3))
        if status == ActivityStatus.CLOSED
        else None,
    )
    if freeze:
        RosterEntry.objects.bulk_create(
            RosterEntry(activity=activity, member=m, is_flowing=m.is_flowing)
            for m in Member.objects.filter(branch=branch, is_active=True)
        )
    return activity


def attend(activity: Activity, member: Member, status: str = "checked_out") -> None:
    at = activity.starts_at
    AttendanceRecord.objects.create(
        activity=activity,
        month=record_month(activity.created_at),
        member=member,
        status=status,
        checked_in_at=at if status in ("checked_in", "checked_out", "not_checked_out") else None,
        checked_out_at=activity.ends_at if status == "checked_out" else None,
        created_at=at,
        updated_at=at,
    )


def like(activity: Activity, member: Member) -> None:
    ActivityLike.objects.create(activity=activity, member=member, created_at=activity.ends_at)


def comment(activity: Activity, member: Member, *, hidden: bool = False, reply_to=None):
    return Comment.objects.create(
        activity=activity,
        author=member,
        parent=reply_to,
        body="学习体会",
        is_hidden=hidden,
        hidden_reason="不当言论" if hidden else "",
        hidden_at=activity.ends_at if hidden else None,
        created_at=activity.ends_at,
    )


def photos(activity: Activity, count: int) -> None:
    for i in range(count):
        Photo.objects.create(
            activity=activity,
            image=f"photos/{activity.pk}-{i}.jpg",
            thumbnail=f"photos/{activity.pk}-{i}-t.jpg",
            width=800,
            height=600,
            size=1000,
            source_type="jpeg",
            original_size=1000,
            evidence="unverified",
            created_at=activity.ends_at,
        )


def summary(activity: Activity, text: str) -> None:
    Summary.objects.create(
        activity=activity, text=text, created_at=activity.ends_at, updated_at=activity.ends_at
    )


def rate(activity: Activity, rater_org: Organization, score: int) -> None:
    Rating.objects.filter(activity=activity, is_current=True).update(is_current=False)
    Rating.objects.create(
        activity=activity,
        rater_org=rater_org,
        rater_depth=rater_org.depth,
        score=score,
        created_at=activity.ends_at,
    )


@dataclass
class Scored:
    """The hand-computed December activity of county A's village branch.

    Roster: the branch secretary and a member (non-flowing) and a flowing member.
    - sign-in: the member checked in and out, the secretary was absent → 1/2 = 50
    - flowing like: the flowing member liked → 1/1 = 100
    - upload: 2 photos (25) and a 200-character summary (25) → 50
    - comment: the member commented (the secretary's comment was hidden) → 1/3 = 33.33…
    - superior: the county rated 80
    total = 0.7 × 50 + 0.1 × 100 + 0.1 × 50 + 0.05 × 100/3 + 0.05 × 80
          = 35 + 10 + 5 + 1.6666… + 4 = 55.6666… → 55.67
    """

    activity: Activity


@pytest.fixture
def scored(world) -> Scored:
    a = world.a
    activity = make_activity(a.branch, date(2026, 12, 1))
    secretary = Member.objects.get(user=a.branch_admin)
    attend(activity, a.member, "checked_out")
    attend(activity, secretary, "absent")
    like(activity, a.flowing)
    photos(activity, 2)
    summary(activity, "  " + "学" * 200 + "\n")
    comment(activity, a.member)
    comment(activity, secretary, hidden=True)
    rate(activity, a.org, 80)
    return Scored(activity)
