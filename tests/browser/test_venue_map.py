"""The plan editor's venue map in a real browser (phone viewport) against a local stand-in
for Amap's JS API v2 (tests/browser/amap_standin.js, served by a tiny HTTP server here and
named by MAP_JS_URL, the same setting production points at webapi.amap.com): a tap on the
map fills the venue in GCJ-02, and the stored venue is its WGS-84 conversion.

On the real clock: the live server runs in this process and a frozen clock would freeze it
too."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core import coords
from dangjian.themedays import services as themedays
from dangjian.themedays.models import Activity
from tests.conftest import COMMITTED
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED]
STANDIN = Path(__file__).with_name("amap_standin.js")


@pytest.fixture
def map_api(settings):
    """The stand-in map API on a local port; the settings point the plan editor at it.
    Yields the queries it was asked with."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            if url.path != "/maps":
                self.send_error(404)
                return
            asked.append(parse_qs(url.query))
            body = STANDIN.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.AMAP_KEY = "standin-key"
    settings.MAP_JS_URL = f"http://127.0.0.1:{server.server_port}/maps?v=2.0&key={{key}}"
    yield asked
    server.shutdown()
    server.server_close()


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    return themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{today:%Y-%m}",
        theme="学习贯彻全会精神",
        holding_from=today - timedelta(days=1),
        holding_until=today + timedelta(days=2),
    )


def test_a_tap_on_the_map_is_stored_as_the_wgs84_of_the_gcj02_point(
    world, campaign, map_api, phone, shot
):
    path = reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])
    phone.goto(phone.base + path, timeout=30_000)
    phone.get_by_label("手机号").fill(world.a.branch_admin.phone)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone).to_have_url(phone.base + path)

    venue_map = phone.get_by_test_id("venue-map")
    expect(venue_map).to_have_attribute("data-standin-map", "")
    assert map_api == [{"v": ["2.0"], "key": ["standin-key"]}]
    # A new plan has no venue: the map opens where the map API puts it; tap off-centre.
    box = venue_map.bounding_box()
    venue_map.click(position={"x": box["width"] / 2 + 37, "y": box["height"] / 2 - 21})

    lng, lat = phone.evaluate("window.__standinClicks[window.__standinClicks.length - 1]")
    expect(phone.get_by_label("纬度")).to_have_value(f"{lat:.6f}")
    expect(phone.get_by_label("经度")).to_have_value(f"{lng:.6f}")
    expect(phone.get_by_label("坐标来源")).to_have_value("gcj02")
    expect(phone.locator("[data-standin-marker]")).to_have_attribute(
        "data-position", f"{lng},{lat}"
    )
    expect(phone.locator("[data-map-status]")).to_contain_text("已选定地图上的位置")
    assert phone.evaluate("document.documentElement.scrollWidth") <= phone.viewport_size["width"]
    shot(phone, "venue-map-standin")

    tomorrow = timezone.localdate() + timedelta(days=1)
    phone.get_by_label("活动日期").fill(tomorrow.isoformat())
    phone.get_by_label("开始时间").fill("19:00")
    phone.get_by_label("结束时间").fill("21:00")
    phone.get_by_label("活动地点", exact=True).fill("村党员活动室")
    phone.get_by_role("button", name="保存草稿").click()
    expect(phone.get_by_role("status").first).to_contain_text("草稿已保存")

    activity = Activity.objects.get(branch=world.a.branch)
    want = coords.to_wgs84(lat, lng, coords.GCJ02)
    assert abs(float(activity.latitude) - want[0]) <= 1e-6
    assert abs(float(activity.longitude) - want[1]) <= 1e-6
    # Stored in WGS-84, not the GCJ-02 point as tapped (Amap's shift is hundreds of metres).
    assert abs(float(activity.latitude) - lat) > 1e-4 or abs(float(activity.longitude) - lng) > 1e-4
