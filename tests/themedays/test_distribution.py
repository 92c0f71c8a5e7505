import pytest

from dangjian.notifications.models import Notification
from dangjian.registry import services as registry
from dangjian.themedays import services
from dangjian.themedays.models import PlanningTask
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def distribute(actor, campaign, capture):
    # Distribution is queued on commit; the test transaction never commits, so run it here.
    with capture(execute=True):
        return services.request_distribution(actor=actor, campaign=campaign)


def test_it_gives_every_branch_in_scope_a_task_and_every_active_member_a_notice(
    world, campaign, django_capture_on_commit_callbacks
):
    left = make_member(world.city_admin, world.b.branch, name="已离开党员")
    registry.mark_member_left(actor=world.city_admin, member=left)

    result = distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()

    branches = {
        world.a.branch.pk,
        world.a.other_branch.pk,
        world.b.branch.pk,
        world.b.other_branch.pk,
    }
    assert (
        set(PlanningTask.objects.filter(campaign=campaign).values_list("branch_id", flat=True))
        == branches
    )
    expected_users = {
        m.user_id for m in (world.a.member, world.a.flowing, world.b.member, world.b.flowing)
    } | {world.a.branch_admin.pk, world.b.branch_admin.pk}
    notified = set(
        Notification.objects.filter(dedupe_key=campaign.dedupe_key).values_list(
            "user_id", flat=True
        )
    )
    assert notified == expected_users
    assert left.user_id not in notified
    assert result["already_distributed"] is False
    assert campaign.distributed_branches == 4
    assert campaign.notified_members == len(expected_users)
    assert campaign.distributed_at is not None


def test_a_second_distribution_adds_nothing_and_says_so(
    world, campaign, django_capture_on_commit_callbacks
):
    distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    # The members' notices; the admin's inbox hears of each click's job (its summary).
    notices = Notification.objects.exclude(kind="job")
    before = (PlanningTask.objects.count(), notices.count())
    assert before[1] > 0

    again = distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)

    assert again["already_distributed"] is True
    assert (PlanningTask.objects.count(), notices.count()) == before


def test_a_county_campaign_for_one_sector_reaches_only_those_branches(
    world, clock, django_capture_on_commit_callbacks
):
    community_member = make_member(world.city_admin, world.a.other_branch, name="社区党员")
    campaign = services.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        theme="社区治理",
        holding_from=campaign_dates()[0],
        holding_until=campaign_dates()[1],
        sectors=["社区"],
    )
    distribute(world.a.admin, campaign, django_capture_on_commit_callbacks)

    assert list(
        PlanningTask.objects.filter(campaign=campaign).values_list("branch_id", flat=True)
    ) == [world.a.other_branch.pk]
    assert list(
        Notification.objects.filter(dedupe_key=campaign.dedupe_key).values_list(
            "user_id", flat=True
        )
    ) == [community_member.user_id]


def test_only_an_admin_of_the_issuing_organization_can_distribute(world, campaign):
    from dangjian.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        services.request_distribution(actor=world.a.admin, campaign=campaign)
    assert refused.value.code == "forbidden"
    assert PlanningTask.objects.count() == 0


def campaign_dates():
    from datetime import date

    return date(2026, 12, 1), date(2026, 12, 20)
