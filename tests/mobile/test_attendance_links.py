"""The member's activity page on the phone (and the theme day on the home page) leads to
asking for leave before the start and, on the day, tells the member to scan the code at
the venue; after the end, a member who checked in is linked straight to check-out. The
check-in address (the poster's secret) is never handed out before the member scanned it.
For the members on the activity's roster only."""

from datetime import timedelta

import pytest
from django.urls import reverse

from dangjian.attendance import services
from dangjian.themedays import services as themedays
from tests.attendance.conftest import (  # noqa: F401
    CHECKIN_OPENS,
    CHECKOUT_CLOSES,
    DURING,
    END,
    SECOND,
    START,
    activity,
    at,
    campaign,
    check_in,
    clock,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def links(client, activity) -> dict:  # noqa: F811
    resp = client.get(reverse("mobile:feed_activity", args=[activity.pk]))
    assert resp.status_code == 200
    body = resp.content.decode()
    return {
        "leave": reverse("mobile:leave", args=[activity.pk]) in body,
        "checkin": reverse("mobile:checkin", args=[activity.checkin_token]) in body,
        "screen": 'data-testid="scan-screen"' in body,
        "scan": 'data-testid="scan-poster"' in body,
    }


NONE = {"leave": False, "checkin": False, "screen": False, "scan": False}


def test_days_before_a_member_may_ask_for_leave_but_not_yet_check_in(world, page, activity):  # noqa: F811
    assert links(page(world.a.member.user), activity) == {**NONE, "leave": True}
    # The flowing member is on the roster too.
    assert links(page(world.a.flowing.user), activity) == {**NONE, "leave": True}


def test_on_the_day_the_member_is_told_to_scan_and_after_checking_in_gets_the_check_out_link(
    world,
    page,
    activity,  # noqa: F811
):
    client = page(world.a.member.user)
    morning = START.replace(hour=7)
    with at(morning):
        assert links(client, activity) == {**NONE, "leave": True, "scan": True}
        body = client.get(reverse("mobile:feed_activity", args=[activity.pk])).content.decode()
        assert "08:30–09:15" in body  # the check-in window, in the hint
    with at(DURING):
        assert links(client, activity) == {**NONE, "leave": True, "scan": True}
        check_in(world.a.member.user, activity)
        # Checked in: nothing more to do until the end, and no leave (the leave service
        # refuses it too).
        assert links(client, activity) == NONE
    with at(END + timedelta(minutes=5)):
        body = client.get(reverse("mobile:feed_activity", args=[activity.pk])).content.decode()
        assert reverse("mobile:checkin", args=[activity.checkin_token]) in body
        assert ">签退</a>" in body
        # One who never checked in gets no way to the page after the end.
        assert links(page(world.a.flowing.user), activity) == NONE
    with at(CHECKOUT_CLOSES + SECOND):
        assert links(client, activity) == NONE


def test_the_links_lead_to_pages_the_member_may_use(world, page, activity):  # noqa: F811
    client = page(world.a.member.user)
    assert client.get(reverse("mobile:leave", args=[activity.pk])).status_code == 200
    with at(CHECKIN_OPENS):
        resp = client.get(reverse("mobile:checkin", args=[activity.checkin_token]))
        assert resp.status_code == 200
        assert 'name="action" value="check_in"' in resp.content.decode()


def test_in_rotating_qr_mode_the_member_is_told_to_scan_the_screen(world, page, activity):  # noqa: F811
    services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=True)
    with at(DURING):
        assert links(page(world.a.member.user), activity) == {
            **NONE,
            "leave": True,
            "screen": True,
        }


def test_a_cancelled_activity_offers_nothing(world, page, activity):  # noqa: F811
    themedays.cancel_activity(actor=world.a.branch_admin, activity=activity, reason="天气原因")
    resp = page(world.a.member.user).get(reverse("mobile:feed_activity", args=[activity.pk]))
    # Gone from the feed altogether; the leave and check-in pages refuse it themselves.
    assert resp.status_code == 404


def test_a_member_who_joined_after_the_roster_was_frozen_gets_no_links(world, page, activity):  # noqa: F811
    with at(START + timedelta(minutes=1)):
        themedays.freeze_due_rosters()
        newcomer = make_member(world.city_admin, world.a.branch, name="新转入党员")
    with at(START + timedelta(minutes=5)):
        # The newcomer reads the branch's activity but may not check in to it.
        assert links(page(newcomer.user), activity) == NONE
        assert links(page(world.a.member.user), activity) == {**NONE, "scan": True}


def test_the_home_page_shows_the_same_links_on_the_theme_day(world, page, activity):  # noqa: F811
    client = page(world.a.member.user)
    home = client.get(reverse("mobile:home")).content.decode()
    assert reverse("mobile:leave", args=[activity.pk]) in home
    assert reverse("mobile:checkin", args=[activity.checkin_token]) not in home
    with at(DURING):
        home = client.get(reverse("mobile:home")).content.decode()
    assert 'data-testid="scan-poster"' in home
    assert reverse("mobile:checkin", args=[activity.checkin_token]) not in home
    # Another county's member sees their own home, without this activity's links.
    other = page(world.b.member.user).get(reverse("mobile:home")).content.decode()
    assert reverse("mobile:leave", args=[activity.pk]) not in other
