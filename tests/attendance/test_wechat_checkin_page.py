"""The check-in page inside WeChat: a `wx.config` signed for the page (WeChat's JS-SDK served
from this site), and positions from wx.getLocation posted as GCJ-02; outside WeChat, or when
WeChat cannot be reached, the browser's geolocation as before."""

import json
import re

import pytest

from dangjian.attendance.models import AttendanceRecord
from dangjian.core import coords
from dangjian.registry import wechat as wx
from tests.attendance.conftest import DURING, at, near
from tests.wechat_standin import APP_ID, wechat  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

WECHAT_UA = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50"


def checkin_path(activity) -> str:
    return f"/m/checkin/{activity.checkin_token}/"


def wechat_config(html: str) -> dict | None:
    found = re.search(r'<script id="wechat-config" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1)) if found else None


def test_inside_wechat_the_page_is_signed_for_its_own_url(world, page, activity, wechat):  # noqa: F811
    path = checkin_path(activity) + "?c=abc"
    with at(DURING):
        resp = page(world.a.member.user).get(path, HTTP_USER_AGENT=WECHAT_UA)
    html = resp.content.decode()
    assert resp.status_code == 200
    config = wechat_config(html)
    assert config["appId"] == APP_ID
    assert config["timestamp"] == int(DURING.timestamp())
    # What WeChat checks: the signature of this very URL with the current ticket.
    assert config["signature"] == wx.jsapi_signature(
        noncestr=config["nonceStr"],
        ticket=wechat.tickets[-1],
        timestamp=config["timestamp"],
        url="http://testserver" + path,
    )
    assert "/static/vendor/weixin/jweixin-1.6.0.js" in html
    assert 'id="wechat-scan"' in html
    assert "res.wx.qq.com" not in html


def test_the_ticket_is_reused_by_the_next_page(world, page, activity, wechat):  # noqa: F811
    client = page(world.a.member.user)
    with at(DURING):
        client.get(checkin_path(activity), HTTP_USER_AGENT=WECHAT_UA)
        client.get(checkin_path(activity), HTTP_USER_AGENT=WECHAT_UA)
    assert len(wechat.calls_to("/cgi-bin/ticket/getticket")) == 1


def test_outside_wechat_there_is_no_wechat_config(world, page, activity, wechat):  # noqa: F811
    with at(DURING):
        html = page(world.a.member.user).get(checkin_path(activity)).content.decode()
    assert wechat_config(html) is None
    assert "jweixin" not in html and "dj/checkin.js" in html
    assert not wechat.calls


def test_when_wechat_cannot_be_reached_the_page_falls_back(world, page, activity, wechat):  # noqa: F811
    wechat.fail = True
    with at(DURING):
        resp = page(world.a.member.user).get(checkin_path(activity), HTTP_USER_AGENT=WECHAT_UA)
    assert resp.status_code == 200
    assert wechat_config(resp.content.decode()) is None


def test_a_position_from_wx_get_location_is_taken_as_gcj02(world, page, activity, wechat):  # noqa: F811
    # wx.getLocation({type: "gcj02"}) 20 m from the venue, posted as checkin.js posts it.
    latitude, longitude = coords.from_wgs84(*near(20), coords.GCJ02)
    with at(DURING):
        resp = page(world.a.member.user).post(
            checkin_path(activity),
            {
                "latitude": latitude,
                "longitude": longitude,
                "accuracy": 15,
                "coord_system": "gcj02",
            },
            HTTP_USER_AGENT=WECHAT_UA,
        )
    assert resp.status_code == 200 and resp.json()["ok"]
    assert AttendanceRecord.objects.get().checkin_distance_m <= 25
