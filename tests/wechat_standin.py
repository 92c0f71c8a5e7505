"""A local stand-in for WeChat's servers, answering the documented endpoints the platform
calls, so that tests run the production code against it (only the base URLs differ):

- GET /sns/oauth2/access_token (web authorization: a `code` → the visitor's openid)
- GET /cgi-bin/token (the official account's access token)
- GET /cgi-bin/ticket/getticket (the JS-SDK ticket; the access token must be current)
- GET /connect/oauth2/authorize (WeChat's page: with `visitor` set, sends the browser back
  to `redirect_uri` with a code for that openid and the `state`, as WeChat does once the
  visitor is known; otherwise answers JSON, tests read its URL instead)

`code_for(openid)` hands out a code as WeChat would after the visitor consents; every call
is kept in `calls` so that tests can count fetches."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

APP_ID = "wx-standin-app"
APP_SECRET = "standin-secret"


class WechatStandin:
    def __init__(self):
        self.codes: dict[str, str] = {}
        self.calls: list[tuple[str, dict]] = []
        self.tokens: list[str] = []
        self.tickets: list[str] = []
        self.expires_in = 7200
        self.fail = False
        # The openid of whoever opens the authorize page (a real browser test's WeChat user).
        self.visitor: str | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def code_for(self, openid: str) -> str:
        with self._lock:
            code = f"code-{len(self.codes) + 1}"
            self.codes[code] = openid
        return code

    def calls_to(self, path: str) -> list[dict]:
        return [params for called, params in self.calls if called == path]

    def answer(self, path: str, params: dict) -> dict:
        with self._lock:
            self.calls.append((path, params))
            if self.fail:
                return {"errcode": -1, "errmsg": "system error"}
            if path == "/sns/oauth2/access_token":
                if params.get("appid") != APP_ID or params.get("secret") != APP_SECRET:
                    return {"errcode": 40125, "errmsg": "invalid appsecret"}
                openid = self.codes.pop(params.get("code", ""), None)
                if openid is None:
                    return {"errcode": 40029, "errmsg": "invalid code"}
                return {
                    "access_token": "web-token",
                    "expires_in": 7200,
                    "refresh_token": "refresh",
                    "openid": openid,
                    "scope": "snsapi_base",
                }
            if path == "/cgi-bin/token":
                if params.get("appid") != APP_ID or params.get("secret") != APP_SECRET:
                    return {"errcode": 40125, "errmsg": "invalid appsecret"}
                self.tokens.append(f"token-{len(self.tokens) + 1}")
                return {"access_token": self.tokens[-1], "expires_in": self.expires_in}
            if path == "/cgi-bin/ticket/getticket":
                if not self.tokens or params.get("access_token") != self.tokens[-1]:
                    return {"errcode": 40001, "errmsg": "invalid credential"}
                self.tickets.append(f"ticket-{len(self.tickets) + 1}")
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "ticket": self.tickets[-1],
                    "expires_in": self.expires_in,
                }
            return {"errcode": 404, "errmsg": "unknown endpoint"}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/connect/oauth2/authorize" and standin.visitor:
                    back = params["redirect_uri"]
                    back += ("&" if "?" in back else "?") + urlencode(
                        {"code": standin.code_for(standin.visitor), "state": params["state"]}
                    )
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(standin.answer(url.path, params)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def wechat(settings):
    """WeChat switched on, its base URLs pointing at a fresh stand-in."""
    standin = WechatStandin().start()
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = APP_SECRET
    settings.WECHAT_API_BASE_URL = standin.base_url
    settings.WECHAT_OPEN_BASE_URL = standin.base_url
    yield standin
    standin.stop()
