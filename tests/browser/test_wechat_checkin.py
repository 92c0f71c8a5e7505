"""Inside WeChat in a real browser (phone viewport, WeChat's User-Agent, the local WeChat
stand-in): a bound member opens the check-in address, is signed in by WeChat without a
password, and checks in with the position WeChat's JS-SDK gives (GCJ-02).

Chromium is not WeChat: `window.wx` is a stand-in set before the page's scripts (the page's
own jweixin-1.6.0.js leaves an existing `jWeixin` alone), recording what `wx.config` was
given and answering `wx.getLocation` with the venue's GCJ-02 position 60 m east."""

import json
import re

import pytest
from playwright.sync_api import expect

from dangjian.attendance import geo
from dangjian.attendance.models import AttendanceRecord
from dangjian.core import clock, coords
from dangjian.registry import wechat as wx
from dangjian.registry.models import WechatBinding
from tests.browser.conftest import PHONE, _context
from tests.browser.test_checkin import VENUE, WECHAT_UA, activity  # noqa: F401 - the fixture
from tests.conftest import COMMITTED
from tests.wechat_standin import wechat  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, COMMITTED]

WX_STUB = """
(function (position) {
  var wx = {
    configs: [],
    config: function (c) { this.configs.push(c); },
    ready: function (f) { setTimeout(f, 0); },
    error: function () {},
    getLocation: function (o) {
      o.success({latitude: position[0], longitude: position[1], accuracy: 12});
    },
    scanQRCode: function () {},
  };
  window.jWeixin = window.wx = wx;
})(%s);
"""


def test_a_bound_member_is_signed_in_by_wechat_and_checks_in_with_gcj02(
    world,
    activity,  # noqa: F811
    wechat,  # noqa: F811
    browser,
    live_server,
    shot,
):
    member = world.a.member
    WechatBinding.objects.create(user=member.user, openid="o-browser", bound_at=clock.now())
    wechat.visitor = "o-browser"
    gcj = coords.from_wgs84(*geo.destination(*VENUE, 90, 60), coords.GCJ02)
    context = _context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        user_agent=WECHAT_UA,
    )
    try:
        context.add_init_script(WX_STUB % json.dumps(list(gcj)))
        page = context.new_page()
        path = f"/m/checkin/{activity.checkin_token}/"
        page.goto(live_server.url + path)
        # WeChat's authorization went by without a password: back on the check-in page
        # (the browser keeps the authorize URL's #wechat_redirect through the redirects).
        expect(page).to_have_url(re.compile(re.escape(live_server.url + path) + "(#.*)?$"))
        expect(page.get_by_role("heading", name="本月主题党日")).to_be_visible()
        expect(page.get_by_role("button", name="扫一扫签到码")).to_be_visible()
        config = page.evaluate("window.wx.configs[0]")
        assert config["jsApiList"] == ["getLocation", "scanQRCode"]
        assert config["signature"] == wx.jsapi_signature(
            noncestr=config["nonceStr"],
            ticket=wechat.tickets[-1],
            timestamp=config["timestamp"],
            url=live_server.url + path,
        )
        page.get_by_role("button", name="签到", exact=True).click()
        result = page.get_by_test_id("checkin-result")
        expect(result).to_contain_text("签到成功！签到时间")
        expect(result).to_contain_text("距活动地点 60 米")
        shot(page, "checkin-wechat-success")
    finally:
        context.close()
    record = AttendanceRecord.objects.get(activity=activity)
    assert (record.member_id, record.status) == (member.pk, "checked_in")
