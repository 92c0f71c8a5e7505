"""WeChat template messages: the `wechat` notification channel.

A batch of notices becomes one WechatMessage row per recipient bound to WeChat
(registry.selectors.openids_of) whose kind has a template id (settings.WECHAT_TEMPLATES);
the task `deliver_wechat` sends each row through wechatpy, with retries, and the sweep
`deliver_due_wechat` sends what was never queued. The row's unique key (user, notice) makes
a notice reach a recipient's WeChat at most once, however often its batch is delivered.

The access token is registry.wechat's, the one of the official account shared with web
authorization and the JS-SDK (two caches of it would invalidate each other's token): kept in
Django's cache, fetched again 5 minutes before WeChat's `expires_in`. A send refused for its
token (errcode 40001, 40014, 42001) fetches a new one and is tried once more."""

import hashlib
import json
import logging

import requests
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wechatpy.exceptions import WeChatClientException

from dangjian import celery
from dangjian.core import clock
from dangjian.core.batching import chunks
from dangjian.core.errors import DomainError
from dangjian.notifications import retries
from dangjian.notifications.channels import Channel, ChannelError
from dangjian.notifications.models import OutboundStatus, WechatMessage
from dangjian.registry import wechat as wechat_account
from dangjian.registry.selectors import openids_of

logger = logging.getLogger(__name__)

# The token was refused (invalid, not the latest, expired): fetch a new one, try once more.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Another attempt cannot mend these: invalid openid, invalid template id, the user does not
# follow the account or refused its messages, invalid data.
PERMANENT_ERRCODES = frozenset({40003, 40037, 43004, 43101, 47003})
# 30 s, 1, 2, 4, 8 min.
RETRIES = retries.Policy(max_attempts=6, first_backoff_seconds=30, grace_seconds=120)
QUEUE_CHUNK = 500

# What fills each kind's template: template keyword → the notice's `title`, `body`, `time`
# (when it was handed to WeChat) or `result` (RESULTS). Keywords are WeChat's typed ones
# (thing: 20 characters, phrase: 5, …, LIMITS); docs/operations.md lists what to choose.
TEMPLATE_FIELDS: dict[str, dict[str, str]] = {
    "campaign": {"thing1": "title", "thing2": "body", "time3": "time"},
    "plan_approved": {"thing1": "title", "phrase2": "result", "time3": "time"},
    "plan_rejected": {"thing1": "title", "phrase2": "result", "thing3": "body", "time4": "time"},
    "reminder": {"thing1": "title", "thing2": "body", "time3": "time"},
    "rectification": {"thing1": "title", "thing2": "body", "time3": "time"},
    "activation_invitation": {"thing1": "title", "thing2": "body", "time3": "time"},
}
RESULTS = {"plan_approved": "已通过", "plan_rejected": "被退回"}
LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32}


class WechatError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _describe(exc: WeChatClientException) -> str:
    if exc.errcode is None:
        status = getattr(exc.response, "status_code", None)
        return f"WeChat answered HTTP {status}"
    return f"WeChat errcode {exc.errcode}: {exc.errmsg}"


def send_template(*, openid: str, template_id: str, data: dict, url: str = "") -> str:
    """Send one template message (`/cgi-bin/message/template/send`) through wechatpy's
    `message.send_template`; answer WeChat's msgid, or raise WechatError."""
    client = wechat_account.client()
    # wechatpy's own retry after a refused token has no bound: the one retry is here.
    client.auto_retry = False
    try:
        try:
            result = client.message.send_template(openid, template_id, data, url=url or None)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            client.fetch_access_token()  # into the shared cache
            result = client.message.send_template(openid, template_id, data, url=url or None)
    except WeChatClientException as exc:
        raise WechatError(_describe(exc), permanent=exc.errcode in PERMANENT_ERRCODES) from exc
    except requests.RequestException as exc:
        raise WechatError(f"WeChat unreachable: {exc}") from exc
    except DomainError as exc:  # registry.wechat could not get a token
        raise WechatError(f"access token: {exc.__cause__ or exc.message}") from exc
    return str(result.get("msgid", ""))


def fit(keyword: str, value: str) -> str:
    """A value as the keyword's type takes it: one line, cut to its length, never empty."""
    value = " ".join(value.split()) or "无"
    limit = LIMITS.get(keyword.rstrip("0123456789"))
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def template_data(notice: dict, now) -> dict:
    values = {
        "title": notice.get("title", ""),
        "body": notice.get("body", ""),
        "time": timezone.localtime(now).strftime("%Y年%m月%d日 %H:%M"),
        "result": RESULTS.get(notice["kind"], ""),
    }
    return {
        keyword: {"value": fit(keyword, values[source])}
        for keyword, source in TEMPLATE_FIELDS[notice["kind"]].items()
    }


def notice_key(notice: dict) -> str:
    """What identifies a notice to a recipient: the key notifications.services gave it (its
    dedupe key, or one made for its batch), or for an older payload a digest of it."""
    if notice.get("key"):
        return notice["key"][:100]
    text = json.dumps([notice.get(k) for k in ("kind", "title", "body", "url")], ensure_ascii=False)
    return "digest:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def template_id(kind: str) -> str:
    return settings.WECHAT_TEMPLATES.get(kind, "") if kind in TEMPLATE_FIELDS else ""


class WechatChannel(Channel):
    """Turns notices into WechatMessage rows for the recipients bound to WeChat, and queues
    them. Notices of a kind without a template id, and unbound recipients, are left out."""

    name = "wechat"

    def send(self, notices: list[dict]) -> None:
        if not (settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET):
            raise ChannelError("WECHAT_APP_ID and WECHAT_APP_SECRET are not set")
        wanted = [n for n in notices if template_id(n["kind"])]
        if not wanted:
            return
        openids = openids_of({n["user_id"] for n in wanted})
        now = clock.now()
        rows = [
            WechatMessage(
                user_id=n["user_id"],
                notice_key=notice_key(n),
                kind=n["kind"],
                openid=openids[n["user_id"]],
                template_id=template_id(n["kind"]),
                data=template_data(n, now),
                url=(n.get("url") or "")[:500],
                created_at=now,
            )
            for n in wanted
            if n["user_id"] in openids
        ]
        if not rows:
            return
        # A repeated delivery of the batch inserts nothing: (user, notice_key) is unique.
        WechatMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        pks = list(
            WechatMessage.objects.filter(
                notice_key__in={r.notice_key for r in rows},
                user_id__in=[r.user_id for r in rows],
                status=OutboundStatus.PENDING,
                attempts=0,
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _queue(pks))


def _queue(pks: list[int]) -> None:
    # A broker that is down leaves the rows pending for deliver_due.
    for chunk in chunks(pks, QUEUE_CHUNK):
        celery.send(deliver_wechat_many, (chunk,))


@shared_task(acks_late=True)
def deliver_wechat(message_id: int) -> str:
    """One attempt to send a message; a failure schedules the next with backoff (at once
    when tasks run eagerly). Sent to the account's openid of now: an account unbound since
    the notice gets nothing."""
    return retries.attempt(
        WechatMessage,
        message_id,
        _send,
        task=deliver_wechat,
        policy=RETRIES,
        errors=WechatError,
        fields=("openid",),
        sent_fields=("msgid",),
    )


def _send(message: WechatMessage) -> None:
    try:
        openid = openids_of([message.user_id]).get(message.user_id)
        if not openid:
            raise WechatError("the account is no longer bound to WeChat", permanent=True)
        message.openid = openid
        message.msgid = send_template(
            openid=openid, template_id=message.template_id, data=message.data, url=message.url
        )[:40]
    except WechatError as exc:
        logger.warning("wechat %s attempt %d failed: %s", message.pk, message.attempts, exc)
        raise


@shared_task(acks_late=True)
def deliver_wechat_many(message_ids: list[int]) -> int:
    return sum(deliver_wechat(pk) == "sent" for pk in message_ids)


def deliver_due() -> int:
    return retries.sweep(WechatMessage, deliver_wechat, RETRIES)


@shared_task
def deliver_due_wechat() -> int:
    return deliver_due()
