"""WeChat's client, against the local stand-in: web authorization's code → openid, the
access token and the JS-SDK ticket cached and fetched again before they end, and the
JS-SDK signature as WeChat documents it."""

import socket
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.cache import cache

from dangjian.core.errors import DomainError
from dangjian.registry import wechat as wx
from tests.wechat_standin import APP_ID, wechat  # noqa: F401 - the fixture

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def test_the_signature_equals_wechats_documented_example():
    # The JS-SDK documentation's appendix 1 (签名算法), its worked example.
    assert (
        wx.jsapi_signature(
            noncestr="Wm3WZYTPz0wzccnW",
            ticket="sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            timestamp=1414587457,
            url="http://mp.weixin.qq.com?params=value",
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


def test_the_authorize_url_asks_for_snsapi_base_at_the_configured_host(wechat):  # noqa: F811
    callback = "https://dj.example/m/wechat/callback/"
    url = urlparse(wx.authorize_url(redirect_uri=callback, state="s1"))
    assert f"{url.scheme}://{url.netloc}" == wechat.base_url
    assert url.path == "/connect/oauth2/authorize"
    query = parse_qs(url.query)
    assert query["appid"] == [APP_ID]
    assert query["scope"] == ["snsapi_base"]
    assert query["state"] == ["s1"]
    assert query["redirect_uri"] == ["https://dj.example/m/wechat/callback/"]
    assert url.fragment == "wechat_redirect"


def test_a_code_is_exchanged_for_the_openid(wechat):  # noqa: F811
    code = wechat.code_for("o-abc")
    assert wx.openid_for_code(code) == "o-abc"
    assert wechat.calls_to("/sns/oauth2/access_token")[0]["grant_type"] == "authorization_code"


def test_code_exchanges_share_one_connection_pool_that_read_the_environment_once(
    wechat,  # noqa: F811
    monkeypatch,
):
    looked_up = []
    real = urllib.request.getproxies
    monkeypatch.setattr(urllib.request, "getproxies", lambda: looked_up.append(1) or real())
    wx._http.cache_clear()
    assert wx.openid_for_code(wechat.code_for("o-1")) == "o-1"
    assert wx.openid_for_code(wechat.code_for("o-2")) == "o-2"
    assert len(looked_up) == 1


def test_the_code_exchange_goes_through_the_proxy_the_environment_names(
    wechat,  # noqa: F811
    monkeypatch,
):
    # Nothing listens at the proxy's address: going through it fails, going around works.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{unused.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    wx._http.cache_clear()
    with pytest.raises(DomainError) as caught:
        wx.openid_for_code(wechat.code_for("o-1"))
    assert caught.value.code == "wechat_unavailable"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    wx._http.cache_clear()
    assert wx.openid_for_code(wechat.code_for("o-1")) == "o-1"
    wx._http.cache_clear()


@pytest.mark.parametrize(
    ("status", "body"), [(502, b"<html>Bad Gateway</html>"), (200, b"<html>not JSON</html>")]
)
def test_an_answer_that_is_not_wechats_json_is_wechat_unavailable(settings, status, body):
    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = APP_ID, "secret"
    settings.WECHAT_API_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(DomainError) as caught:
            wx.openid_for_code("a-code")
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.code == "wechat_unavailable"


def test_a_code_wechat_refuses_is_wechat_unavailable(wechat):  # noqa: F811
    with pytest.raises(DomainError) as caught:
        wx.openid_for_code("never-issued")
    assert caught.value.code == "wechat_unavailable"


def test_the_ticket_and_token_are_fetched_once_while_fresh(wechat):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        assert wx.jsapi_ticket() == "ticket-1"
        assert wx.jsapi_ticket() == "ticket-1"
        assert wx.access_token() == "token-1"
    assert len(wechat.calls_to("/cgi-bin/token")) == 1
    assert len(wechat.calls_to("/cgi-bin/ticket/getticket")) == 1
    assert wechat.calls_to("/cgi-bin/ticket/getticket")[0] == {
        "access_token": "token-1",
        "type": "jsapi",
    }


def test_the_ticket_and_token_are_fetched_again_before_expires_in(wechat):  # noqa: F811
    with time_machine.travel(NOW, tick=False) as traveller:
        assert wx.jsapi_ticket() == "ticket-1"
        # 7200 s given: still used 6 minutes before the end ...
        traveller.shift(timedelta(seconds=7200 - 6 * 60))
        assert wx.jsapi_ticket() == "ticket-1"
        # ... fetched again (with a new token) 4 minutes before it.
        traveller.shift(timedelta(minutes=2))
        assert wx.jsapi_ticket() == "ticket-2"
        assert wx.access_token() == "token-2"
    assert len(wechat.calls_to("/cgi-bin/token")) == 2


def test_js_config_signs_the_page_url_without_its_fragment(wechat):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        config = wx.js_config("https://dj.example/m/checkin/abc/?x=1#top")
    assert config["appId"] == APP_ID
    assert config["timestamp"] == int(NOW.timestamp())
    assert config["signature"] == wx.jsapi_signature(
        noncestr=config["nonceStr"],
        ticket="ticket-1",
        timestamp=config["timestamp"],
        url="https://dj.example/m/checkin/abc/?x=1",
    )


def test_a_failing_wechat_is_wechat_unavailable(wechat):  # noqa: F811
    wechat.fail = True
    with pytest.raises(DomainError) as caught:
        wx.jsapi_ticket()
    assert caught.value.code == "wechat_unavailable"


def test_while_another_worker_refreshes_the_current_ticket_is_still_used(wechat):  # noqa: F811
    with time_machine.travel(NOW, tick=False) as traveller:
        assert wx.jsapi_ticket() == "ticket-1"
        traveller.shift(timedelta(seconds=7200 - 4 * 60))
        # Another worker holds the refresh of the ticket: no second fetch from here.
        lock = f"wechat:jsapi_ticket:{APP_ID}:refreshing"
        assert cache.add(lock, 1, timeout=30)
        assert wx.jsapi_ticket() == "ticket-1"
        assert len(wechat.calls_to("/cgi-bin/ticket/getticket")) == 1
        cache.delete(lock)
        assert wx.jsapi_ticket() == "ticket-2"
        # Past its end nothing old is used, lock or not.
        traveller.shift(timedelta(seconds=7200))
        assert cache.add(lock, 1, timeout=30)
        assert wx.jsapi_ticket() == "ticket-3"
