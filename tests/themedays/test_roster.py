from datetime import timedelta

import pytest
import time_machine

from dangjian.registry import services as registry
from dangjian.themedays import roster, services
from tests.themedays.conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(world, draft):
    services.submit_activity(actor=world.a.branch_admin, activity=draft)
    return services.approve_activity(actor=world.a.admin, activity=draft)


def names(activity):
    return {row.name for row in roster.roster_of(activity)}


def test_a_member_who_transfers_away_before_the_start_drops_off_the_roster(world, approved):
    registry.transfer_member(
        actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
    )
    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        assert services.freeze_due_rosters() == 1
    approved.refresh_from_db()
    assert world.a.member.name not in names(approved)
    assert world.a.flowing.name in names(approved)


def test_the_roster_frozen_at_the_start_does_not_change_when_a_member_transfers_later(
    world, approved
):
    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        services.freeze_due_rosters()
    with time_machine.travel(DAY + timedelta(days=2), tick=False):
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
    approved.refresh_from_db()
    assert world.a.member.name in names(approved)
    flowing = {row.name: row.is_flowing for row in roster.roster_of(approved)}
    assert flowing[world.a.flowing.name] is True


def test_a_late_freeze_rebuilds_the_roster_as_it_stood_at_the_start(world, approved):
    # The scheduler was down: the member moved away after the start, before any freeze ran.
    with time_machine.travel(DAY + timedelta(hours=3), tick=False):
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        services.freeze_due_rosters()
    approved.refresh_from_db()
    assert world.a.member.name in names(approved)
    # Running the job again changes nothing.
    with time_machine.travel(DAY + timedelta(hours=4), tick=False):
        assert services.freeze_due_rosters() == 0


def test_before_any_freeze_a_member_who_moved_away_after_the_start_is_still_on_it(world, approved):
    # The scheduler has not run: the roster is read as it stood at the start.
    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.b.branch
        )
        world.a.member.refresh_from_db()
        assert roster.is_on_roster(approved, world.a.member)
        assert world.a.member.name in names(approved)
        assert roster.roster_size(approved) == len(names(approved))
    approved.refresh_from_db()
    assert approved.roster_frozen_at is None


def test_before_any_freeze_a_member_who_moved_in_after_the_start_is_not_on_it(world, approved):
    newcomer = world.b.member
    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        registry.transfer_member(actor=world.city_admin, member=newcomer, to_branch=world.a.branch)
        newcomer.refresh_from_db()
        assert not roster.is_on_roster(approved, newcomer)
        assert newcomer.name not in names(approved)


def test_before_the_start_the_roster_is_the_branch_as_it_is_now(world, approved):
    registry.transfer_member(
        actor=world.city_admin, member=world.b.member, to_branch=world.a.branch
    )
    world.b.member.refresh_from_db()
    assert roster.is_on_roster(approved, world.b.member)
    assert world.b.member.name in names(approved)
