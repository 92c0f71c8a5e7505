from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.themedays import services
from dangjian.themedays.models import (
    DEFAULT_REQUIRED_ITEMS,
    Activity,
    ActivityEvent,
    ActivityStatus,
)
from tests.themedays.conftest import DAY, plan_kwargs

pytestmark = pytest.mark.django_db


def test_it_refuses_a_plan_missing_a_required_item_and_names_it(world, campaign):
    agenda = [i for i in DEFAULT_REQUIRED_ITEMS if i != "缴纳党费"]
    with pytest.raises(DomainError) as refused:
        services.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=campaign,
            **plan_kwargs(agenda=agenda),
        )
    assert refused.value.code == "required_items_missing"
    assert refused.value.details["missing"] == ["缴纳党费"]
    assert "缴纳党费" in refused.value.message


def test_a_county_supplement_adds_required_items_for_its_own_branches_only(world, campaign):
    services.add_supplement(
        actor=world.a.admin,
        parent=campaign,
        org=world.a.org,
        guidance="汉台区补充要求",
        required_items=["学习区委全会精神"],
    )
    with pytest.raises(DomainError) as refused:
        services.draft_activity(
            actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
        )
    assert refused.value.details["missing"] == ["学习区委全会精神"]
    services.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=campaign,
        **plan_kwargs(agenda=[*DEFAULT_REQUIRED_ITEMS, "学习区委全会精神"]),
    )
    # County b's branches are not bound by county a's supplement.
    services.draft_activity(
        actor=world.b.branch_admin, branch=world.b.branch, campaign=campaign, **plan_kwargs()
    )


def test_only_an_ancestors_admin_can_approve(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    with pytest.raises(DomainError) as own:
        services.approve_activity(actor=world.a.branch_admin, activity=draft)
    assert own.value.code == "forbidden"
    with pytest.raises(DomainError) as other_county:
        services.approve_activity(actor=world.b.admin, activity=draft)
    assert other_county.value.code == "not_found"
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.SUBMITTED

    approved = services.approve_activity(actor=world.a.admin, activity=draft)
    assert approved.status == ActivityStatus.APPROVED
    assert len(approved.checkin_token) >= 32


def test_a_rejected_plan_is_edited_and_resubmitted_and_every_step_is_kept(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    services.reject_activity(actor=world.a.admin, activity=draft, reason="地点不明确")
    services.update_activity(
        actor=world.a.branch_admin, activity=draft, venue_address="某村党群服务中心二楼"
    )
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    services.approve_activity(actor=world.city_admin, activity=draft)

    steps = list(
        ActivityEvent.objects.filter(activity=draft).values_list(
            "action", "to_status", "actor_id", "reason"
        )
    )
    assert steps == [
        ("draft", "draft", world.a.branch_admin.pk, ""),
        ("submit", "submitted", world.a.branch_admin.pk, ""),
        ("reject", "rejected", world.a.admin.pk, "地点不明确"),
        ("edit", "rejected", world.a.branch_admin.pk, ""),
        ("submit", "submitted", world.a.branch_admin.pk, ""),
        ("approve", "approved", world.city_admin.pk, ""),
    ]


def test_a_rejection_needs_a_reason(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    with pytest.raises(DomainError) as refused:
        services.reject_activity(actor=world.a.admin, activity=draft, reason="  ")
    assert refused.value.code == "reason_required"


def test_editing_an_approved_plan_sends_it_back_to_review(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    services.approve_activity(actor=world.a.admin, activity=draft)

    edited = services.update_activity(
        actor=world.a.branch_admin, activity=draft, ends_at=DAY.replace(hour=12)
    )
    assert edited.status == ActivityStatus.SUBMITTED
    assert ActivityEvent.objects.filter(activity=draft).last().from_status == "approved"


def test_a_plan_whose_start_has_passed_cannot_be_submitted(world, draft):
    with (
        time_machine.travel(DAY + timedelta(minutes=1), tick=False),
        pytest.raises(DomainError) as refused,
    ):
        services.submit_activity(actor=world.a.branch_admin, activity=draft)
    assert refused.value.code == "start_passed"
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.DRAFT


def test_a_late_record_needs_a_reason_and_stays_flagged_after_approval(world, draft):
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        with pytest.raises(DomainError):
            services.submit_late_record(actor=world.a.branch_admin, activity=draft, reason="")
        services.submit_late_record(
            actor=world.a.branch_admin, activity=draft, reason="网络故障未能按时录入"
        )
        approved = services.approve_activity(actor=world.a.admin, activity=draft)
    assert approved.is_late_record
    assert approved.late_reason == "网络故障未能按时录入"


def test_a_cancelled_activity_makes_room_for_a_new_plan(world, draft, campaign):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    services.approve_activity(actor=world.a.admin, activity=draft)
    with pytest.raises(DomainError) as second:
        services.draft_activity(
            actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
        )
    assert second.value.code == "plan_exists"

    services.cancel_activity(actor=world.a.branch_admin, activity=draft, reason="暴雨")
    from dangjian.notifications.models import Notification

    assert Notification.objects.filter(kind="activity_cancelled", user=world.a.member.user).exists()
    again = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    assert again.status == ActivityStatus.DRAFT


def test_it_refuses_a_plan_outside_the_holding_window_or_with_a_huge_radius(world, campaign):
    with pytest.raises(DomainError) as late:
        services.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=campaign,
            **plan_kwargs(
                starts_at=DAY + timedelta(days=20), ends_at=DAY + timedelta(days=20, hours=2)
            ),
        )
    assert late.value.code == "outside_holding_window"
    with pytest.raises(DomainError) as wide:
        services.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=campaign,
            **plan_kwargs(radius_m=50000),
        )
    assert wide.value.code == "validation_error"
    assert wide.value.details["field"] == "radius_m"


def test_a_submitted_plan_is_announced_to_its_nearest_superiors_with_admins_only(world, draft):
    from dangjian.notifications.models import Notification

    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    told = set(Notification.objects.filter(kind="plan_submitted").values_list("user", flat=True))
    # The town has no admin: the county's are asked, not the city's (who may review too).
    assert told == {world.a.admin.pk}


# The start and the late-record rule ------------------------------------------------------

PASSED = {"starts_at": DAY.replace(day=1, hour=7), "ends_at": DAY.replace(day=1, hour=8)}


@pytest.mark.parametrize("approved", [False, True], ids=["submitted", "approved"])
def test_it_refuses_to_move_a_plan_to_a_start_that_has_passed(world, draft, approved):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    if approved:
        services.approve_activity(actor=world.a.admin, activity=draft)
    with pytest.raises(DomainError) as refused:
        services.update_activity(actor=world.a.branch_admin, activity=draft, **PASSED)
    assert refused.value.code == "start_passed"
    assert refused.value.details["field"] == "starts_at"
    draft.refresh_from_db()
    assert draft.starts_at == DAY
    assert draft.status == (ActivityStatus.APPROVED if approved else ActivityStatus.SUBMITTED)
    assert not ActivityEvent.objects.filter(activity=draft, action="edit").exists()


def test_it_refuses_to_approve_a_plan_whose_start_has_passed(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    with (
        time_machine.travel(DAY + timedelta(minutes=1), tick=False),
        pytest.raises(DomainError) as refused,
    ):
        services.approve_activity(actor=world.a.admin, activity=draft)
    assert refused.value.code == "start_passed"
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.SUBMITTED and draft.checkin_token is None
    # The way on: sent back, then recorded late with a reason and approved, flagged.
    with time_machine.travel(DAY + timedelta(minutes=2), tick=False):
        services.reject_activity(actor=world.a.admin, activity=draft, reason="开始时间已过")
        services.submit_late_record(
            actor=world.a.branch_admin, activity=draft, reason="审核前活动已开展"
        )
        approved = services.approve_activity(actor=world.a.admin, activity=draft)
    assert approved.status == ActivityStatus.APPROVED and approved.is_late_record


def test_a_late_record_may_still_be_corrected_to_another_past_time(world, draft):
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        services.submit_late_record(actor=world.a.branch_admin, activity=draft, reason="停电")
        edited = services.update_activity(actor=world.a.branch_admin, activity=draft, **PASSED)
    assert edited.starts_at == PASSED["starts_at"] and edited.is_late_record


# Impossible dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(1999, 12, 31, 12, 0, tzinfo=UTC),
    ],
    ids=["year-1", "year-9999", "before-2000"],
)
def test_it_refuses_an_impossible_start_before_writing_anything(world, starts_at):
    before = (Activity.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refused:
        services.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=None,
            **plan_kwargs(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30)),
        )
    assert refused.value.code == "validation_error"
    assert refused.value.details["field"] == "starts_at"
    assert (Activity.objects.count(), AuditEntry.objects.count()) == before


def test_it_refuses_an_edit_to_an_impossible_date_or_a_missing_window(world, draft):
    far = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)
    for changes, field in (
        ({"starts_at": far, "ends_at": far + timedelta(hours=1)}, "starts_at"),
        ({"ends_at": DAY + timedelta(days=400)}, "ends_at"),
        ({"checkout_closes_after_min": None}, "checkout_closes_after_min"),
        ({"starts_at": None}, "starts_at"),
    ):
        with pytest.raises(DomainError) as refused:
            services.update_activity(actor=world.a.branch_admin, activity=draft, **changes)
        assert refused.value.code == "validation_error", changes
        assert refused.value.details["field"] == field, changes
    draft.refresh_from_db()
    assert (draft.starts_at, draft.ends_at) == (DAY, DAY.replace(hour=11))
