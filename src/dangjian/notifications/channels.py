"""Outbound channels behind one interface. A channel takes a batch of notices (plain dicts)
and either delivers all of them or raises ChannelError; the caller retries."""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    pass


class Channel:
    name = "base"

    def send(self, notices: list[dict]) -> None:
        raise NotImplementedError


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`: enough to tell recipients apart in a log, not to call
    them. Anything shorter than a phone number is masked whole."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class LogChannel(Channel):
    """Writes a line per batch to the log, the recipients' phone numbers masked; the
    default, and useful in development."""

    name = "log"

    def send(self, notices: list[dict]) -> None:
        first = [
            {**n, "phone": mask_phone(n["phone"])} if n.get("phone") else n for n in notices[:1]
        ]
        logger.info("notifications: %d notices, first: %s", len(notices), first)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel(Channel):
    """POSTs `{"notices": [...]}` as JSON to a gateway (WeChat template messages, SMS).

    Headers `X-Dangjian-Timestamp` and `X-Dangjian-Signature: sha256=<hex>`, the HMAC-SHA256
    of `timestamp + "." + body` with the shared secret, let the gateway verify the sender
    and refuse replays. Any answer other than 2xx is a failure to retry."""

    name = "webhook"

    def __init__(self, url: str | None = None, secret: str | None = None, timeout: float = 10):
        self.url = url or settings.NOTIFICATION_WEBHOOK_URL
        self.secret = secret if secret is not None else settings.NOTIFICATION_WEBHOOK_SECRET
        self.timeout = timeout

    def send(self, notices: list[dict]) -> None:
        if not self.url:
            raise ChannelError("NOTIFICATION_WEBHOOK_URL is not set")
        body = json.dumps({"notices": notices}, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Dangjian-Timestamp": timestamp,
                "X-Dangjian-Signature": sign(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelError(f"gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise ChannelError(f"gateway answered {status}")


BUILTIN = {
    "log": LogChannel,
    "webhook": WebhookChannel,
    # WeChat template messages, one a recipient (its module imports this one).
    "wechat": "dangjian.notifications.wechat.WechatChannel",
}


@cache
def get(name: str) -> Channel:
    cls = BUILTIN.get(name, name)
    if isinstance(cls, str):
        cls = import_string(cls)
    return cls()


def enabled() -> list[str]:
    return list(settings.NOTIFICATION_CHANNELS)
