"""The back office leads to the attendance pages: an activity's page links its attendance
(live view, posters, leave and corrections, refusals), and the sidebar links the inbox of
leave requests and corrections with how many wait, for those who may use them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian import permissions
from dangjian.attendance import selectors, services
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS
from tests.attendance.conftest import (  # noqa: F401
    CHECKOUT_CLOSES,
    END,
    START,
    activity,
    campaign,
    clock,
)

pytestmark = pytest.mark.django_db


def html(resp) -> str:
    assert resp.status_code == 200
    return resp.content.decode()


def detail(client, activity) -> str:  # noqa: F811
    return html(client.get(reverse("console:activity_detail", args=[activity.pk])))


def poster(activity, fmt: str) -> str:  # noqa: F811
    return reverse("console:attendance_poster", args=[activity.pk, fmt])


def test_an_approved_activitys_page_links_its_attendance_and_posters(world, page, activity):  # noqa: F811
    for user in (world.a.branch_admin, world.a.admin, world.city_admin):
        body = detail(page(user), activity)
        assert reverse("console:attendance", args=[activity.pk]) + "#live" in body
        assert poster(activity, "pdf") in body and poster(activity, "png") in body
        assert reverse("console:attendance", args=[activity.pk]) + "#leave" in body
        assert reverse("console:attendance_refusals", args=[activity.pk]) in body
        # No screen until rotating-QR mode is on.
        assert reverse("console:attendance_screen", args=[activity.pk]) not in body
    # The links lead somewhere: the poster downloads.
    resp = page(world.a.branch_admin).get(poster(activity, "pdf"))
    assert (resp.status_code, resp["Content-Type"]) == (200, "application/pdf")
    # Another county's admin does not even see the page.
    resp = page(world.b.admin).get(reverse("console:activity_detail", args=[activity.pk]))
    assert resp.status_code == 404


def test_the_screen_is_linked_while_rotating_qr_mode_is_on(world, page, activity):  # noqa: F811
    services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=True)
    body = detail(page(world.a.branch_admin), activity)
    assert reverse("console:attendance_screen", args=[activity.pk]) in body


def test_a_plan_not_yet_approved_has_no_attendance_links(world, page, campaign):  # noqa: F811
    plan = themedays.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=campaign,
        title="待审核的活动",
        starts_at=START,
        ends_at=END,
        venue_address="村党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    themedays.submit_activity(actor=world.a.branch_admin, activity=plan)
    for user in (world.a.branch_admin, world.a.admin):
        body = detail(page(user), plan)
        assert 'data-testid="attendance-links"' not in body
        assert reverse("console:attendance", args=[plan.pk]) not in body
        assert poster(plan, "pdf") not in body


def test_a_closed_activity_links_its_attendance_but_no_poster(world, page, activity, clock):  # noqa: F811
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    body = detail(page(world.a.branch_admin), activity)
    assert reverse("console:attendance", args=[activity.pk]) + "#live" in body
    assert poster(activity, "pdf") not in body


def test_the_sidebar_links_the_inbox_with_the_number_waiting(world, page, activity, clock):  # noqa: F811
    inbox = reverse("console:attendance_inbox")
    index = reverse("console:index")
    body = html(page(world.a.branch_admin).get(index))
    assert f'href="{inbox}"' in body
    assert 'data-testid="nav-attendance-inbox">考勤审批</a>' in body  # nothing waits yet

    services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    for user in (world.a.branch_admin, world.a.admin):
        assert 'data-testid="nav-attendance-inbox">考勤审批 <span class="badge red"' in html(
            page(user).get(index)
        )
    # Another county's admin has the link, with nothing waiting for them.
    assert 'data-testid="nav-attendance-inbox">考勤审批</a>' in html(page(world.b.admin).get(index))

    # After the activity, a correction waits for the county, not for the branch that
    # proposed it; the leave no longer waits once the activity has started.
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    services.propose_correction(
        actor=world.a.branch_admin,
        activity=activity,
        member=world.a.flowing,
        to_status="checked_out",
        reason="手机损坏",
    )
    assert selectors.waiting_count(world.a.admin) == 1
    assert selectors.waiting_count(world.a.branch_admin) == 0
    assert '考勤审批 <span class="badge red" title="待审批的请假和考勤更正">1</span>' in html(
        page(world.a.admin).get(index)
    )


def test_the_number_waiting_is_one_query(world, activity, clock):  # noqa: F811
    services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    user = world.a.admin
    # What the console has read before drawing the sidebar (cached on the user).
    permissions.admin_paths(user)
    permissions.own_member(user)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.waiting_count(user) == 1
    assert len(queries.captured_queries) == 1


def test_the_htmx_partials_do_not_count(world, page, activity):  # noqa: F811
    client = page(world.a.branch_admin)
    url = reverse("console:attendance_live", args=[activity.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not any("UNION" in q["sql"] for q in queries.captured_queries)
