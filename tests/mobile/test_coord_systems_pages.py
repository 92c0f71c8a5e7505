"""The phone pages take positions in the system they were produced in (`coord_system`): the
check-in page's locator (the browser's WGS-84, WeChat's GCJ-02) and the plan editor's venue
(typed from a map, or "use my current position": tests/browser/test_coord_systems.py).
The spot is Hanzhong's published reference point (tests/core/test_coords.py)."""

import pytest
import time_machine
from django.urls import reverse

from dangjian.attendance import geo
from dangjian.attendance.models import AttendanceRecord
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity
from tests.attendance.conftest import DURING, NOW, approve, at, make_campaign
from tests.core.test_coords import HANZHONG

pytestmark = pytest.mark.django_db
WGS84, GCJ02, BD09 = HANZHONG["wgs84"], HANZHONG["gcj02"], HANZHONG["bd09"]


@pytest.fixture
def campaign(world):
    with time_machine.travel(NOW, tick=False):
        yield make_campaign(world)


@pytest.fixture
def activity(world, campaign):
    """County a's branch's approved theme day at the spot, stored in WGS-84."""
    with time_machine.travel(NOW, tick=False):
        return approve(
            world,
            world.a.branch,
            world.a.branch_admin,
            world.a.admin,
            campaign,
            latitude=f"{WGS84[0]:.6f}",
            longitude=f"{WGS84[1]:.6f}",
        )


def _position(position, **extra):
    return {"latitude": position[0], "longitude": position[1], "accuracy": 15, **extra}


# The check-in page -----------------------------------------------------------------------


def test_the_check_in_page_takes_wechats_gcj02_at_the_venue(world, page, activity):
    url = f"/m/checkin/{activity.checkin_token}/"
    with at(DURING):
        raw = page(world.a.member.user).post(url, _position(GCJ02))
        taken = page(world.a.member.user).post(url, _position(GCJ02, coord_system="gcj02"))
        outsider = page(world.outsider).post(url, _position(GCJ02, coord_system="gcj02"))
    # Read as WGS-84 (what the page sends for the browser's position), the numbers miss.
    assert (raw.status_code, raw.json()["code"]) == (409, "out_of_range")
    assert 450 < raw.json()["distance_m"] < 500
    assert taken.status_code == 200, taken.content
    assert taken.json()["ok"] and taken.json()["status"] == "checked_in"
    record = AttendanceRecord.objects.get()
    assert record.member == world.a.member and record.checkin_distance_m <= 1
    # A user without a member record is shown the explanation page; nothing is recorded.
    assert outsider.status_code == 200 and activity.title not in outsider.content.decode()
    assert AttendanceRecord.objects.count() == 1


def test_the_check_in_page_refuses_an_unknown_system_in_chinese(world, page, activity):
    with at(DURING):
        resp = page(world.a.member.user).post(
            f"/m/checkin/{activity.checkin_token}/", _position(WGS84, coord_system="mars")
        )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_coord_system"
    assert "坐标系" in resp.json()["message"]
    assert not AttendanceRecord.objects.exists()


# The plan editor -------------------------------------------------------------------------


def _plan(**overrides) -> dict:
    data = {
        "title": "十二月主题党日",
        "date": "2026-12-10",
        "start_time": "09:00",
        "end_time": "11:00",
        "venue_address": "村党员活动室",
        "latitude": f"{GCJ02[0]}",
        "longitude": f"{GCJ02[1]}",
        "coord_system": "gcj02",
        "radius_m": "300",
        "required": list(DEFAULT_REQUIRED_ITEMS),
        "extra_agenda": "",
        "optional_other": "",
        "checkin_opens_before_min": "30",
        "checkin_closes_after_min": "15",
        "checkout_closes_after_min": "60",
        "action": "save",
    }
    data.update(overrides)
    return data


def _stored(activity) -> tuple[float, float]:
    activity.refresh_from_db()
    return float(activity.latitude), float(activity.longitude)


def test_a_venue_typed_from_amap_is_stored_in_wgs84(world, page, campaign):
    url = reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])
    with time_machine.travel(NOW, tick=False):
        form = page(world.a.branch_admin).get(url).content.decode()
        outsider = page(world.outsider).post(url, _plan())
        saved = page(world.a.branch_admin).post(url, _plan())
    assert 'name="coord_system"' in form and 'value="gcj02"' in form
    assert 'data-system="id_coord_system"' in form
    assert outsider.status_code == 404
    assert saved.status_code == 302, saved.content.decode()[:500]
    activity = Activity.objects.get(branch=world.a.branch)
    assert geo.distance_m(*_stored(activity), *WGS84) < 1


def test_an_edit_from_baidu_moves_the_venue_and_the_form_shows_it_in_wgs84(world, page, campaign):
    with time_machine.travel(NOW, tick=False):
        activity = approve(world, world.a.branch, world.a.branch_admin, world.a.admin, campaign)
        url = reverse("mobile:plan_edit", args=[activity.pk])
        edited = page(world.a.branch_admin).post(
            url, _plan(latitude=f"{BD09[0]}", longitude=f"{BD09[1]}", coord_system="bd09")
        )
        shown = page(world.a.branch_admin).get(url).content.decode()
    assert edited.status_code == 302, edited.content.decode()[:500]
    assert geo.distance_m(*_stored(activity), *WGS84) < 1
    assert f'value="{activity.latitude}"' in shown
    assert '<option value="wgs84" selected>' in shown


def test_the_plan_editor_refuses_an_unknown_system_next_to_its_field(world, page, campaign):
    url = reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])
    with time_machine.travel(NOW, tick=False):
        resp = page(world.a.branch_admin).post(url, _plan(coord_system="mars"))
    assert resp.status_code == 422
    assert "请选择坐标来源" in resp.content.decode()
    assert not Activity.objects.filter(branch=world.a.branch).exists()
