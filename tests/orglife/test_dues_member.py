"""Whose dues a register records: permissions.access_dues_member, the one rule the
console's register and the phone's month of dues both ask."""

import pytest
from django.urls import reverse

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.orglife.models import DuesRecord


def test_a_member_of_the_registers_branch_is_given(world):
    member = permissions.access_dues_member(world.a.branch_admin, world.a.branch, world.a.member.pk)
    assert member == world.a.member


def test_a_member_of_another_branch_is_not_found_even_for_an_admin_over_both(world):
    assert permissions.can(world.a.admin, permissions.Action.CHANGE, world.a.member)
    with pytest.raises(DomainError) as refused:
        permissions.access_dues_member(world.a.admin, world.a.other_branch, world.a.member.pk)
    assert refused.value.code == "not_found"


@pytest.mark.parametrize("member_id", [None, "", "x", 0])
def test_a_missing_member_is_not_found(world, member_id):
    with pytest.raises(DomainError) as refused:
        permissions.access_dues_member(world.a.admin, world.a.branch, member_id)
    assert refused.value.code == "not_found"


def test_a_member_the_user_may_not_change_is_refused_as_access_member_refuses(world):
    with pytest.raises(DomainError) as refused:
        permissions.access_dues_member(world.b.admin, world.a.branch, world.a.member.pk)
    with pytest.raises(DomainError) as direct:
        permissions.access_member(world.b.admin, world.a.member.pk, permissions.Action.CHANGE)
    assert refused.value.code == direct.value.code


def test_the_phone_does_not_record_a_member_of_another_branch(world, after, page):
    client = page(world.a.admin)
    posted = {"member_id": world.a.member.pk, "month": "2026-12", "method": "cash", "amount": "1"}
    own = client.post(reverse("mobile:dues_month", args=[world.a.branch.pk]), posted)
    assert own.status_code == 302
    DuesRecord.objects.all().delete()
    other = client.post(reverse("mobile:dues_month", args=[world.a.other_branch.pk]), posted)
    assert other.status_code == 404
    assert not DuesRecord.objects.exists()
