"""Who reviews a branch's plans (permissions): every admin above the branch may; the admins
of the nearest organization above it that has any are the ones asked."""

import pytest

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.registry.models import Organization, User
from tests.factories import make_admin

pytestmark = pytest.mark.django_db

BRANCH = "0001000200030004"


def test_the_reviewing_level_is_the_nearest_above_the_branch_that_has_admins():
    assert permissions.superior_paths(BRANCH) == ["000100020003", "00010002", "0001"]
    assert permissions.reviewing_path(BRANCH, {"0001", "00010002"}) == "00010002"
    assert permissions.reviewing_path(BRANCH, {"0001"}) == "0001"


def test_the_branchs_own_admins_and_organizations_beside_it_never_review_it():
    assert permissions.reviewing_path(BRANCH, {BRANCH, "00010002000300040001", "0002"}) is None
    assert permissions.superior_paths("0001") == []


def test_a_plan_is_sent_to_the_county_when_its_town_has_no_admin(world):
    assert permissions.reviewer_user_ids(world.a.branch) == [world.a.admin.pk]


def test_a_plan_is_sent_to_the_town_once_the_town_has_an_admin(world):
    town_admin = make_admin(world.city_admin, world.a.town, "镇党委管理员")
    assert permissions.reviewer_user_ids(world.a.branch) == [town_admin.pk]


def test_a_level_whose_only_admin_can_no_longer_log_in_is_passed_over(world):
    world.a.admin.is_active = False
    world.a.admin.save(update_fields=["is_active"])
    assert permissions.reviewer_user_ids(world.a.branch) == [world.city_admin.pk]


def test_those_asked_to_review_may_review_and_so_may_every_admin_above(world):
    branch = world.a.branch
    for user_id in permissions.reviewer_user_ids(branch):
        assert permissions.is_admin_above(User.objects.get(pk=user_id), branch)
    assert permissions.is_admin_above(world.city_admin, branch)
    assert not permissions.is_admin_above(world.a.branch_admin, branch)
    assert not permissions.is_admin_above(world.b.admin, branch)


def test_the_branchs_own_admins_are_told_of_what_befalls_its_plans(world):
    assert permissions.branch_admin_user_ids(world.a.branch) == [world.a.branch_admin.pk]


def test_a_superior_acts_in_the_name_of_the_organization_they_administer_above_the_branch(
    world,
):
    branch = world.a.branch
    assert permissions.superior_org(world.a.admin, branch) == world.a.org
    assert permissions.superior_org(world.city_admin, branch) == world.city
    for outsider in (world.a.branch_admin, world.b.admin, world.outsider):
        with pytest.raises(DomainError) as refused:
            permissions.superior_org(outsider, branch)
        assert refused.value.code == "forbidden"


def test_the_review_filter_selects_the_organizations_each_admin_is_above(world):
    orgs = list(Organization.objects.order_by("path"))
    for user in (world.city_admin, world.a.admin, world.a.branch_admin, world.outsider):
        below = set(Organization.objects.filter(permissions.admin_above_q(user)))
        assert below == {o for o in orgs if permissions.is_admin_above(user, o)}
