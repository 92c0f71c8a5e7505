"""Positions over the API carry their coordinate system (`coord_system`: wgs84, gcj02,
bd09; wgs84 when left out): a venue picked on a Chinese map and a check-in from a browser at
the same spot meet, where the same raw numbers taken as one system lie ~470 m apart.

The spot is Hanzhong's published reference point in the three systems
(tests/core/test_coords.py says where it is published)."""

from datetime import timedelta

import pytest
import time_machine

from dangjian.attendance import geo
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity
from tests.attendance.conftest import DURING, END, NOW, START, at, make_campaign
from tests.core.test_coords import HANZHONG

pytestmark = pytest.mark.django_db
WGS84, GCJ02, BD09 = HANZHONG["wgs84"], HANZHONG["gcj02"], HANZHONG["bd09"]


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    # The tests travel days ahead; API tokens issued "before" must still work.
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture
def campaign(world):
    with time_machine.travel(NOW, tick=False):
        yield make_campaign(world)


def _venue(position, **extra):
    latitude, longitude = position
    return {"address": "村党员活动室", "latitude": latitude, "longitude": longitude, **extra}


def _plan(api, county, campaign, venue, moved_to=None) -> int:
    """A plan of the county's branch drafted over the API with `venue` (then edited to
    `moved_to`, if given), submitted and approved by the county's admin; its id."""
    body = {
        "branch_id": county.branch.pk,
        "campaign_id": campaign.pk,
        "title": "十二月主题党日",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "venue": venue,
        "agenda": list(DEFAULT_REQUIRED_ITEMS),
    }
    with time_machine.travel(NOW, tick=False):
        secretary = api(county.branch_admin)
        drafted = secretary.post("/activities", body)
        assert drafted.status_code == 201, drafted.content
        aid = drafted.json()["id"]
        if moved_to is not None:
            moved = secretary.patch(f"/activities/{aid}", {"venue": moved_to})
            assert moved.status_code == 200, moved.content
        assert secretary.post(f"/activities/{aid}/submit").status_code == 200
        approved = api(county.admin).post(f"/activities/{aid}/approve")
        assert approved.status_code == 200, approved.content
    return aid


def _check_in(client, aid, position, **extra):
    token = Activity.objects.get(pk=aid).checkin_token
    body = {"token": token, "latitude": position[0], "longitude": position[1], "accuracy_m": 15}
    return client.post("/attendance/check-in", {**body, **extra})


def _stored(aid) -> tuple[float, float]:
    activity = Activity.objects.get(pk=aid)
    return float(activity.latitude), float(activity.longitude)


def test_a_venue_picked_in_gcj02_accepts_a_wgs84_check_in_at_the_same_spot(world, api, campaign):
    aid = _plan(api, world.a, campaign, _venue(GCJ02, coord_system="gcj02"))
    # Stored, and answered, in WGS-84: the published WGS-84 of the spot, to the metre.
    assert geo.distance_m(*_stored(aid), *WGS84) < 1
    venue = api(world.a.branch_admin).get(f"/activities/{aid}").json()["venue"]
    assert geo.distance_m(venue["latitude"], venue["longitude"], *WGS84) < 1
    with at(DURING):
        member = _check_in(api(world.a.member.user), aid, WGS84, coord_system="wgs84")
        # The flowing member's phone says nothing: WGS-84, as browsers give.
        flowing = _check_in(api(world.a.flowing.user), aid, WGS84)
        outsider = _check_in(api(world.outsider), aid, WGS84)
    assert member.status_code == 201, member.content
    assert member.json()["distance_m"] <= 1
    assert flowing.status_code == 201, flowing.content
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_on_roster")
    # The attempt log keeps the position as stored: WGS-84.
    logged = CheckInAttempt.objects.get(user=world.a.member.user)
    assert geo.distance_m(float(logged.latitude), float(logged.longitude), *WGS84) < 1


def test_the_same_numbers_taken_as_wgs84_lie_500_metres_apart_and_are_refused(world, api, campaign):
    # The GCJ-02 numbers of the spot sent without their system are taken as WGS-84.
    aid = _plan(api, world.b, campaign, _venue(GCJ02))
    assert _stored(aid) == pytest.approx(GCJ02, abs=1e-6)
    with at(DURING):
        refused = _check_in(api(world.b.member.user), aid, WGS84, coord_system="wgs84")
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "out_of_range"
    assert 450 < refused.json()["distance_m"] < 500
    assert refused.json()["radius_m"] == 300
    assert not AttendanceRecord.objects.filter(activity_id=aid).exists()


def test_a_venue_picked_in_bd09_accepts_a_check_in_sent_in_gcj02(world, api, campaign):
    # Drafted a kilometre away, then moved to the spot as Baidu's map gives it.
    away = _venue((33.078, 107.019))
    aid = _plan(api, world.a, campaign, away, _venue(BD09, coord_system="bd09"))
    assert geo.distance_m(*_stored(aid), *WGS84) < 1
    with at(DURING):
        # WeChat's wx.getLocation({type: "gcj02"}) on the member's phone.
        member = _check_in(api(world.a.member.user), aid, GCJ02, coord_system="gcj02")
    assert member.status_code == 201, member.content
    assert member.json()["distance_m"] <= 1


def test_a_check_out_carries_its_system_too(world, api, campaign):
    aid = _plan(api, world.a, campaign, _venue(WGS84))
    client = api(world.a.member.user)
    with at(DURING):
        assert _check_in(client, aid, BD09, coord_system="bd09").status_code == 201
    with at(END + timedelta(minutes=5)):
        token = Activity.objects.get(pk=aid).checkin_token
        body = {"token": token, "latitude": GCJ02[0], "longitude": GCJ02[1], "accuracy_m": 15}
        raw = client.post("/attendance/check-out", {**body, "reflection": "收获很大。"})
        out = client.post(
            "/attendance/check-out", {**body, "reflection": "收获很大。", "coord_system": "gcj02"}
        )
    assert (raw.status_code, raw.json()["code"]) == (422, "out_of_range")
    assert out.status_code == 201, out.content
    assert out.json()["distance_m"] <= 1


@pytest.mark.parametrize("system", ["GCJ02", "baidu", "", "wgs-84"])
def test_it_refuses_an_unknown_system_with_a_stable_code(world, api, campaign, system):
    aid = _plan(api, world.a, campaign, _venue(WGS84))
    with at(DURING):
        refused = _check_in(api(world.a.member.user), aid, WGS84, coord_system=system)
        outsider = _check_in(api(world.outsider), aid, WGS84, coord_system=system)
    for answer in (refused, outsider):
        assert answer.status_code == 422, answer.content
        assert answer.json()["code"] == "invalid_coord_system"
        assert answer.json()["field"] == "coord_system"
    assert not AttendanceRecord.objects.filter(activity_id=aid).exists()
    with time_machine.travel(NOW, tick=False):
        edit = api(world.a.branch_admin).patch(
            f"/activities/{aid}", {"venue": _venue(GCJ02, coord_system=system)}
        )
    assert (edit.status_code, edit.json()["code"]) == (422, "invalid_coord_system")
    assert _stored(aid) == pytest.approx(WGS84, abs=1e-6)


def test_a_county_admin_drafting_with_an_unknown_system_is_refused(world, api, campaign):
    body = {
        "branch_id": world.a.other_branch.pk,
        "campaign_id": campaign.pk,
        "title": "十二月主题党日",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "venue": _venue(GCJ02, coord_system="mars"),
        "agenda": list(DEFAULT_REQUIRED_ITEMS),
    }
    with time_machine.travel(NOW, tick=False):
        refused = api(world.a.admin).post("/activities", body)
        outsider = api(world.outsider).post("/activities", body)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_coord_system")
    assert outsider.status_code == 404
    assert not Activity.objects.filter(branch=world.a.other_branch).exists()


def test_an_edit_in_gcj02_gives_both_coordinates(world, api, campaign):
    aid = _plan(api, world.a, campaign, _venue(WGS84))
    secretary = api(world.a.branch_admin)
    url = f"/activities/{aid}"
    with time_machine.travel(NOW, tick=False):
        half = secretary.patch(url, {"venue": {"latitude": GCJ02[0], "coord_system": "gcj02"}})
        outsider = api(world.outsider).patch(url, {"venue": _venue(GCJ02, coord_system="gcj02")})
        # A WGS-84 edit may still give one coordinate (the other stays).
        nudged = secretary.patch(url, {"venue": {"latitude": 33.0694}})
    assert half.status_code == 422, half.content
    assert (half.json()["code"], half.json()["field"]) == ("validation_error", "longitude")
    assert outsider.status_code == 404
    assert nudged.status_code == 200, nudged.content
    assert _stored(aid) == pytest.approx((33.0694, WGS84[1]), abs=1e-6)
