"""A local stand-in for WeChat's official-account API, as WeChat documents it:

- `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…` →
  `{"access_token": "…", "expires_in": 7200}` (errcode 40013/40125 for a wrong app id or
  secret);
- `POST /cgi-bin/message/template/send?access_token=…` with `{"touser", "template_id",
  "url", "data"}` → `{"errcode": 0, "errmsg": "ok", "msgid": …}`, or errcode 40001 for a
  token it did not issue or has revoked.

It records every request; `failures` are answers given to the next template sends first:
an HTTP status (int) or a JSON body (dict)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from dangjian.core import clock
from dangjian.notifications.wechat import TEMPLATE_FIELDS
from dangjian.registry.models import WechatBinding

APP_ID = "wx1234567890abcdef"
SECRET = "stand-in-app-secret"
TEMPLATES = {kind: f"TPL-{kind.upper()}" for kind in TEMPLATE_FIELDS}


def bind(user, openid: str) -> None:
    WechatBinding.objects.create(user=user, openid=openid, bound_at=clock.now())


class WechatStandIn:
    def __init__(self, app_id: str, secret: str, expires_in: int = 7200):
        self.app_id = app_id
        self.secret = secret
        self.expires_in = expires_in
        self.requests: list[dict] = []
        self.tokens: list[str] = []
        self.revoked: set[str] = set()
        self.failures: list[int | dict] = []
        self.accepted: list[dict] = []
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.handle(self, "GET", b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                stand_in.handle(self, "POST", self.rfile.read(length))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # What the tests read.
    def token_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/cgi-bin/token"]

    def send_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/cgi-bin/message/template/send"]

    def revoke_tokens(self) -> None:
        """As when another client fetched a token: the ones issued so far are refused."""
        self.revoked.update(self.tokens)

    # The endpoints.
    def handle(self, handler, method: str, body: bytes) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append(
                {"method": method, "path": parts.path, "query": query, "body": body}
            )
            if method == "GET" and parts.path == "/cgi-bin/token":
                status, answer = 200, self.token(query)
            elif method == "POST" and parts.path == "/cgi-bin/message/template/send":
                status, answer = self.template_send(query, body)
            else:
                status, answer = 404, {"errcode": 404, "errmsg": "not found"}
        data = json.dumps(answer, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def token(self, query: dict) -> dict:
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = f"TOKEN-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return {"access_token": token, "expires_in": self.expires_in}

    def template_send(self, query: dict, body: bytes) -> tuple[int, dict]:
        token = query.get("access_token")
        if token not in self.tokens or token in self.revoked:
            return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, int):
                return failure, {"errcode": -1, "errmsg": "system error"}
            return 200, failure
        message = json.loads(body)
        if not message.get("touser") or not message.get("template_id"):
            return 200, {"errcode": 47003, "errmsg": "argument invalid!"}
        self.accepted.append({**message, "access_token": token})
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(self.accepted)}
