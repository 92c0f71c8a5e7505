"""Stored activity scores: counted from the attendance and interaction tables, kept up to
date through the hook, with the policy version they were computed with."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.registry.models import Member
from dangjian.scoring import selectors, services
from dangjian.scoring.inputs import inputs_of
from dangjian.scoring.models import ActivityScore, BranchPeriodScore
from dangjian.themedays.models import Activity, ActivityStatus
from tests.scoring.conftest import (
    NOW,
    SHANGHAI,
    attend,
    comment,
    like,
    make_activity,
    photos,
    rate,
    summary,
)

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)


def test_the_inputs_are_counted_from_the_roster_attendance_likes_uploads_and_comments(
    scored, clock
):
    inputs = inputs_of(scored.activity)
    assert inputs.roster == 3
    assert inputs.roster_flowing == 1
    assert inputs.roster_non_flowing == 2
    assert inputs.checked_in_non_flowing == 1
    assert inputs.liked_flowing == 1
    assert inputs.commenters == 1  # the hidden comment does not count
    assert inputs.photos == 2
    assert inputs.summary_chars == 200  # surrounding blanks do not count
    assert inputs.rating == 80


def test_the_hand_computed_activity_scores_55_67_and_is_stored_with_its_breakdown(scored, clock):
    row = services.recompute_activity(scored.activity.pk)
    assert row.total == Decimal("55.67")
    stored = ActivityScore.objects.get(activity=scored.activity)
    assert stored.total_hundredths == 5567
    assert stored.policy_version == 1
    assert stored.components == {
        "sign_in": {"value": "50.00", "weight": "70.00"},
        "flowing_like": {"value": "100.00", "weight": "10.00"},
        "upload": {"value": "50.00", "weight": "10.00"},
        "comment": {"value": "33.33", "weight": "5.00"},
        "superior": {"value": "80.00", "weight": "5.00"},
    }
    # The branch's month is its campaign activity's score.
    month = BranchPeriodScore.objects.get(branch=scored.activity.branch, kind="month")
    assert (month.period_start, month.score_hundredths) == (DEC, 5567)
    assert month.activity_id == scored.activity.pk


def test_not_checked_out_counts_as_came_and_leave_stays_on_the_roster(world, clock):
    activity = make_activity(world.a.branch, DEC)
    secretary = Member.objects.get(user=world.a.branch_admin)
    attend(activity, world.a.member, "not_checked_out")
    attend(activity, secretary, "on_leave")
    inputs = inputs_of(activity)
    assert (inputs.checked_in_non_flowing, inputs.roster_non_flowing) == (1, 2)


def test_a_flowing_member_checking_in_does_not_raise_the_sign_in_rate(world, clock):
    activity = make_activity(world.a.branch, DEC)
    attend(activity, world.a.flowing, "checked_out")
    assert inputs_of(activity).checked_in_non_flowing == 0


def test_only_roster_members_count_even_if_others_left_traces(world, clock):
    activity = make_activity(world.a.branch, DEC)
    # A member who joined the branch after the roster was frozen.
    from tests.factories import make_member

    late = make_member(world.city_admin, world.a.branch, name="后来的党员")
    like(activity, late)
    comment(activity, late)
    attend(activity, late, "checked_out")
    inputs = inputs_of(activity)
    assert (inputs.roster, inputs.checked_in_non_flowing, inputs.commenters) == (3, 0, 0)


def test_an_activity_not_frozen_yet_is_counted_from_the_branchs_members(world):
    with time_machine.travel(datetime(2026, 12, 10, 9, 30, tzinfo=SHANGHAI), tick=False):
        activity = make_activity(world.a.branch, DEC, status=ActivityStatus.APPROVED, freeze=False)
        attend(activity, world.a.member, "checked_in")
        inputs = inputs_of(activity)
        assert (inputs.roster, inputs.roster_flowing, inputs.checked_in_non_flowing) == (3, 1, 1)
        # Held (started): scored live.
        assert services.recompute_activity(activity.pk) is not None


def test_the_hook_recomputes_after_the_commit(world, clock, django_capture_on_commit_callbacks):
    activity = make_activity(world.a.branch, DEC)
    services.recompute_activity(activity.pk)
    before = ActivityScore.objects.get(activity=activity).total_hundredths
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attend(activity, world.a.member, "checked_out")
        services.inputs_changed(activity_id=activity.pk)
        # Nothing happens before the commit.
        assert ActivityScore.objects.get(activity=activity).total_hundredths == before
    assert len(callbacks) == 1
    after = ActivityScore.objects.get(activity=activity)
    assert after.checked_in_non_flowing == 1
    assert after.total_hundredths > before


def test_a_cancelled_or_unheld_activity_has_no_score_and_loses_a_stored_one(world, clock):
    activity = make_activity(world.a.branch, DEC)
    services.recompute_activity(activity.pk)
    assert ActivityScore.objects.filter(activity=activity).exists()
    Activity.objects.filter(pk=activity.pk).update(status=ActivityStatus.CANCELLED)
    assert services.recompute_activity(activity.pk) is None
    assert not ActivityScore.objects.filter(activity=activity).exists()
    month = BranchPeriodScore.objects.get(branch=world.a.branch, kind="month", period_start=DEC)
    assert (month.score_hundredths, month.activity_id) == (0, None)
    with pytest.raises(DomainError) as exc:
        selectors.score_of(Activity.objects.get(pk=activity.pk))
    assert exc.value.code == "not_held"


def test_a_held_activity_not_scored_yet_is_computed_on_request(scored, clock):
    view = selectors.score_of(scored.activity)
    assert (view.total, view.is_stored) == (Decimal("55.67"), False)


# Policy versions -------------------------------------------------------------------------

NEW_WEIGHTS = {"sign_in": 60, "flowing_like": 10, "upload": 10, "comment": 10, "superior": 10}


def test_only_a_root_admin_sets_the_policy_and_it_is_audited(world, clock):
    with pytest.raises(DomainError) as exc:
        services.set_policy(actor=world.a.admin, weights=NEW_WEIGHTS)
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        services.set_policy(actor=world.outsider, weights=NEW_WEIGHTS)
    assert exc.value.code == "forbidden"
    policy = services.set_policy(actor=world.city_admin, weights=NEW_WEIGHTS, note="加大互动")
    assert policy.version == 2
    entry = AuditEntry.objects.get(action="scoring.policy")
    assert entry.after["weights"] == NEW_WEIGHTS
    assert entry.org_id == world.city.pk
    assert services.set_policy(actor=world.city_admin, weights=NEW_WEIGHTS).version == 3


@pytest.mark.parametrize(
    "weights, photos_target, problem",
    [
        ({**NEW_WEIGHTS, "superior": 20}, 4, "weights_sum"),
        ({**NEW_WEIGHTS, "sign_in": -10, "superior": 80}, 4, "weights_negative"),
        ({"sign_in": 100}, 4, "weights_components"),
        (NEW_WEIGHTS, 0, "photos_target"),
    ],
)
def test_a_policy_that_does_not_add_up_is_refused(world, clock, weights, photos_target, problem):
    with pytest.raises(DomainError) as exc:
        services.set_policy(
            actor=world.city_admin, weights=weights, upload_photos_target=photos_target
        )
    assert exc.value.code == "invalid_policy"
    assert problem in exc.value.details["problems"]


def test_a_new_policy_applies_to_activities_closed_after_it_and_old_scores_keep_their_version(
    scored, world, clock
):
    old = services.recompute_activity(scored.activity.pk)
    assert (old.policy_version, old.total) == (1, Decimal("55.67"))

    services.set_policy(actor=world.city_admin, weights=NEW_WEIGHTS)
    # Recomputing the December activity (closed before the new version) keeps version 1.
    again = services.recompute_activity(scored.activity.pk)
    assert (again.policy_version, again.total) == (1, Decimal("55.67"))

    # January's activity closes after the new version: version 2, the new weights.
    # Sign-in 50, like 100, upload 50, comment 100/3, rating 80 with 60/10/10/10/10:
    # 30 + 10 + 5 + 3.333… + 8 = 56.333… → 56.33.
    jan = date(2027, 1, 1)
    with time_machine.travel(datetime(2027, 1, 10, 13, tzinfo=SHANGHAI), tick=False):
        activity = make_activity(world.a.branch, jan)
        secretary = Member.objects.get(user=world.a.branch_admin)
        attend(activity, world.a.member)
        attend(activity, secretary, "absent")
        like(activity, world.a.flowing)
        photos(activity, 2)
        summary(activity, "学" * 200)
        comment(activity, world.a.member)
        rate(activity, world.a.org, 80)
        new = services.recompute_activity(activity.pk)
    assert (new.policy_version, new.total) == (2, Decimal("56.33"))
    assert ActivityScore.objects.get(activity=scored.activity).policy_version == 1


def test_an_activity_still_open_is_scored_with_the_version_in_force_now(world, clock):
    services.set_policy(actor=world.city_admin, weights=NEW_WEIGHTS)
    with time_machine.travel(NOW + timedelta(days=5, hours=1), tick=False):
        activity = make_activity(
            world.a.branch, date(2027, 1, 1), status=ActivityStatus.APPROVED, freeze=True
        )
        assert services.recompute_activity(activity.pk).policy_version == 2


# The scheduled safety net ----------------------------------------------------------------


def test_the_scheduled_refresh_scores_held_activities_nobody_scored(world, clock):
    activity = make_activity(world.a.branch, date(2026, 12, 1))
    assert services.refresh_stale() == 1
    assert ActivityScore.objects.filter(activity=activity, is_closed=True).exists()
    assert services.refresh_stale() == 0
