"""A branch secretary's attendance corrections on the phone (issue 22, point 3): the
activity's attendance page lists its corrections and their state, and the notice of a
decision leads a secretary there (they administer branches only and work on the phone),
anyone else to the back office; the member, the outsider and the other county see none."""

import pytest
import time_machine
from django.urls import reverse

from dangjian import permissions
from dangjian.attendance import services as attendance
from dangjian.notifications.models import Notification
from tests.factories import make_admin
from tests.interaction.conftest import DURING, approved_activity

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def activity(world):
    return approved_activity(world)


def propose(world, activity, actor, member, reason):
    with time_machine.travel(DURING, tick=False):
        return attendance.propose_correction(
            actor=actor, activity=activity, member=member, to_status="checked_in", reason=reason
        )


def test_a_decided_correction_is_listed_on_the_phone_where_its_notice_leads_the_secretary(
    world, activity, page
):
    approved = propose(world, activity, world.a.branch_admin, world.a.member, "手机没电")
    refused = propose(world, activity, world.a.branch_admin, world.a.flowing, "忘记签到")
    with time_machine.travel(DURING, tick=False):
        attendance.approve_correction(actor=world.a.admin, correction=approved)
        attendance.refuse_correction(actor=world.a.admin, correction=refused, note="无旁证")

    url = reverse("mobile:month_attendance", args=[activity.pk])
    notices = Notification.objects.filter(user=world.a.branch_admin)
    assert notices.get(kind="correction_approved").link == url + "#corrections"
    assert notices.get(kind="correction_refused").link == url + "#corrections"

    with time_machine.travel(DURING, tick=False):
        body = html(page(world.a.branch_admin).get(url))
    listed = body.split('id="corrections"')[1]
    shown = listed.split(f'data-testid="correction-{approved.pk}"')[1].split("</li>")[0]
    assert world.a.member.name in shown and "已批准" in shown and "手机没电" in shown
    assert "更正为“已签到”" in shown
    shown = listed.split(f'data-testid="correction-{refused.pk}"')[1].split("</li>")[0]
    assert world.a.flowing.name in shown and "未批准" in shown and "无旁证" in shown

    # Nobody else reads the page or its corrections.
    for user, status in ((world.a.member.user, 403), (world.outsider, 404), (world.b.admin, 404)):
        with time_machine.travel(DURING, tick=False):
            response = page(user).get(url)
        assert response.status_code == status and "手机没电" not in html(response)


def test_a_correction_proposed_above_the_branch_is_told_in_the_back_office(world, activity):
    correction = propose(world, activity, world.a.admin, world.a.member, "手机没电")
    with time_machine.travel(DURING, tick=False):
        attendance.approve_correction(actor=world.city_admin, correction=correction)
    notice = Notification.objects.get(user=world.a.admin, kind="correction_approved")
    assert notice.link == f"/console/activities/{activity.pk}/attendance/"


def test_only_an_admin_of_branches_alone_works_on_the_phone(world):
    town_admin = make_admin(world.city_admin, world.a.town, "镇管理员")
    assert permissions.administers_branches_only(world.a.branch_admin)
    for user in (world.city_admin, world.a.admin, town_admin, world.a.member.user, world.outsider):
        assert not permissions.administers_branches_only(user)
