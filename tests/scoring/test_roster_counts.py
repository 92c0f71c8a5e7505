"""Scores count the roster of themedays.roster's one rule: the frozen entries once frozen,
and from the start until then the branch as it stood at the start (a transfer or a
departure after the start changes nobody's place on it)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from dangjian.registry import services as registry
from dangjian.registry.models import Member
from dangjian.scoring import selectors, services
from dangjian.scoring.inputs import gather_inputs, inputs_of
from dangjian.scoring.models import ActivityScore
from dangjian.themedays import roster
from dangjian.themedays.models import ActivityStatus
from tests.scoring.conftest import SHANGHAI, attend, comment, like, make_activity

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)
# make_activity's theme day starts on the 10th at 09:00.
STARTED = datetime(2026, 12, 10, 9, 30, tzinfo=SHANGHAI)


def started_not_frozen(world):
    return make_activity(world.a.branch, DEC, status=ActivityStatus.APPROVED, freeze=False)


def test_a_member_transferred_away_after_the_start_still_counts_before_the_freeze(world):
    with time_machine.travel(STARTED, tick=False):
        activity = started_not_frozen(world)
        attend(activity, world.a.member, "checked_in")
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        inputs = inputs_of(activity)
    assert (inputs.roster, inputs.roster_flowing) == (3, 1)
    assert inputs.checked_in_non_flowing == 1


def test_a_member_transferred_in_after_the_start_does_not_count_before_the_freeze(world):
    newcomer = world.b.member
    with time_machine.travel(STARTED, tick=False):
        activity = started_not_frozen(world)
        registry.transfer_member(actor=world.city_admin, member=newcomer, to_branch=world.a.branch)
        attend(activity, newcomer, "checked_in")
        comment(activity, newcomer)
        inputs = inputs_of(activity)
    assert (inputs.roster, inputs.checked_in_non_flowing, inputs.commenters) == (3, 0, 0)


def test_a_flowing_member_who_leaves_the_register_after_the_start_still_counts(world):
    with time_machine.travel(STARTED, tick=False):
        activity = started_not_frozen(world)
        like(activity, world.a.flowing)
    with time_machine.travel(STARTED + timedelta(days=1), tick=False):
        registry.mark_member_left(actor=world.city_admin, member=world.a.flowing)
        inputs = inputs_of(activity)
    assert (inputs.roster, inputs.roster_flowing, inputs.liked_flowing) == (3, 1, 1)


def test_the_counts_before_the_freeze_are_those_of_the_roster_the_rule_gives(world):
    with time_machine.travel(STARTED, tick=False):
        activity = started_not_frozen(world)
        for member in Member.objects.filter(branch=world.a.branch):
            attend(activity, member, "checked_out")
            comment(activity, member)
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        registry.transfer_member(
            actor=world.city_admin, member=world.b.member, to_branch=world.a.branch
        )
        rows = roster.roster_of(activity)
        inputs = inputs_of(activity)
    assert inputs.roster == len(rows) == roster.roster_size(activity, now=STARTED)
    assert inputs.roster_flowing == sum(r.is_flowing for r in rows)
    assert inputs.commenters == len(rows)
    assert inputs.checked_in_non_flowing == sum(not r.is_flowing for r in rows)


def test_frozen_and_unfrozen_activities_are_counted_each_by_its_own_roster(world):
    with time_machine.travel(STARTED, tick=False):
        frozen = make_activity(world.a.branch, DEC, status=ActivityStatus.APPROVED)
        unfrozen = make_activity(world.b.branch, DEC, status=ActivityStatus.APPROVED, freeze=False)
        attend(frozen, world.a.member)
        attend(unfrozen, world.b.member)
        # Both move after the start: each stays on the roster of the activity they left.
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        registry.transfer_member(
            actor=world.city_admin, member=world.b.member, to_branch=world.a.branch
        )
        found = gather_inputs([frozen, unfrozen])
    for activity in (frozen, unfrozen):
        inputs = found[activity.pk]
        assert (inputs.roster, inputs.roster_flowing, inputs.checked_in_non_flowing) == (3, 1, 1)


def test_the_stored_and_the_shown_score_count_the_branch_as_it_stood_at_the_start(world):
    with time_machine.travel(STARTED, tick=False):
        activity = started_not_frozen(world)
        attend(activity, world.a.member, "checked_in")
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        shown = selectors.score_of(activity)
        services.recompute_activity(activity.pk)
    assert (shown.is_stored, shown.inputs.roster, shown.inputs.checked_in_non_flowing) == (
        False,
        3,
        1,
    )
    stored = ActivityScore.objects.get(activity=activity)
    assert (stored.roster, stored.checked_in_non_flowing) == (3, 1)
    assert stored.total == shown.total
