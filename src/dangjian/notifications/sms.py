"""Text messages through the backend SMS_BACKEND names: `log` (the embedded default and the
tests: the message goes to the log, and to the console's outbox page when the demo shows
it), `aliyun` or `tencent` (the providers' official SDKs), or a dotted path to a Backend
subclass. A message is a row of SmsMessage, queued by `services.send_sms` and sent by the
task `deliver_sms` with retries; its status and last error stay on the row."""

import json
import logging
from functools import cache
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from dangjian.core import clock
from dangjian.notifications import retries
from dangjian.notifications.channels import mask_phone
from dangjian.notifications.models import OutboundStatus, SmsMessage

logger = logging.getLogger(__name__)

# 10 s, 20 s, 40 s, 80 s: a code is valid minutes, later is no use.
RETRIES = retries.Policy(max_attempts=5, first_backoff_seconds=10, grace_seconds=60)
# What a verification code message says; the providers' templates must say the same, with
# the code as their one parameter.
TEMPLATES = {
    "verification_code": "您的验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "activation_invitation": "您已登记为党员，请打开{url}，用本手机号获取验证码激活账号。",
}


class SmsError(Exception):
    pass


class Backend:
    name = "base"

    def send(self, *, phone: str, template: str, params: dict, text: str) -> str:
        """Send one message; answer the provider's id for it, or raise SmsError."""
        raise NotImplementedError


class LogBackend(Backend):
    name = "log"

    def send(self, *, phone: str, template: str, params: dict, text: str) -> str:
        logger.info("sms to %s: %s", mask_phone(phone), text)
        return ""


def _endpoint(url: str) -> tuple[str, str]:
    """`https://host[:port]` → ("https", "host[:port]"): the SDKs take them apart."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.scheme, parts.netloc


def _template_id(template: str) -> str:
    template_id = settings.SMS_TEMPLATES.get(template, "")
    if not template_id:
        raise SmsError(f"no provider template id for {template!r} (SMS_TEMPLATE_*)")
    return template_id


class AliyunBackend(Backend):
    """Aliyun SMS (Dysmsapi 2017-05-25, SendSms) through `alibabacloud-dysmsapi20170525`."""

    name = "aliyun"

    def send(self, *, phone: str, template: str, params: dict, text: str) -> str:
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi_models

        protocol, endpoint = _endpoint(settings.SMS_ALIYUN_ENDPOINT)
        client = Client(
            openapi_models.Config(
                access_key_id=settings.SMS_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ACCESS_KEY_SECRET,
                endpoint=endpoint,
                protocol=protocol,
            )
        )
        request = models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=_template_id(template),
            template_param=json.dumps(params, ensure_ascii=False),
        )
        try:
            body = client.send_sms(request).body
        except Exception as exc:  # the SDK raises its own exceptions for HTTP and API errors
            raise SmsError(f"aliyun: {exc}") from exc
        if body.code != "OK":
            raise SmsError(f"aliyun: {body.code} {body.message}")
        return body.biz_id or ""


class TencentBackend(Backend):
    """Tencent Cloud SMS (API 2021-01-11, SendSms) through `tencentcloud-sdk-python-sms`.
    Its templates take positional parameters: the values of `params` in order."""

    name = "tencent"

    def send(self, *, phone: str, template: str, params: dict, text: str) -> str:
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import models, sms_client

        protocol, endpoint = _endpoint(settings.SMS_TENCENT_ENDPOINT)
        client = sms_client.SmsClient(
            credential.Credential(settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET),
            settings.SMS_TENCENT_REGION,
            ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol=protocol)),
        )
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = settings.SMS_TENCENT_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = _template_id(template)
        request.TemplateParamSet = [str(v) for v in params.values()]
        try:
            response = client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsError(f"tencent: {exc.code} {exc.message}") from exc
        except Exception as exc:
            raise SmsError(f"tencent: {exc}") from exc
        status = (response.SendStatusSet or [None])[0]
        if status is None or status.Code != "Ok":
            code, why = getattr(status, "Code", ""), getattr(status, "Message", "")
            raise SmsError(f"tencent: {code} {why}")
        return status.SerialNo or ""


BUILTIN = {"log": LogBackend, "aliyun": AliyunBackend, "tencent": TencentBackend}


@cache
def _backend(name: str) -> Backend:
    cls = BUILTIN.get(name) or import_string(name)
    return cls()


def backend() -> Backend:
    return _backend(settings.SMS_BACKEND)


def render(template: str, params: dict) -> str:
    return f"【{settings.SMS_SIGN_NAME}】" + TEMPLATES[template].format(**params)


def _forget_secret(message: SmsMessage) -> None:
    # A code is kept hashed (notifications.SmsCode); its clear copy only lives until the
    # message is out, except where the demo shows the outbox.
    if "code" in message.params and not settings.SMS_DEMO_OUTBOX:
        message.params = {**message.params, "code": "******"}
        message.text = render(message.template, message.params)


def _attempt(message: SmsMessage) -> bool:
    """One attempt at one locked message: the backend's call, and the row's fields set to
    what came of it (saved by the caller). Answers whether it was sent."""
    message.attempts += 1
    try:
        message.provider_id = backend().send(
            phone=message.phone,
            template=message.template,
            params=message.params,
            text=message.text,
        )[:100]
    except SmsError as exc:
        if RETRIES.failed(message, exc):
            _forget_secret(message)
        logger.warning("sms %s attempt %d failed: %s", message.pk, message.attempts, exc)
        return False
    retries.sent(message)
    _forget_secret(message)
    return True


_FAILED_FIELDS = ["attempts", "status", "last_error", "params", "text"]
_SENT_FIELDS = ["attempts", "status", "sent_at", "last_error", "provider_id", "params", "text"]


def _retry_later(message: SmsMessage) -> None:
    if message.status == OutboundStatus.PENDING:
        RETRIES.retry_later(deliver_sms, message)


@shared_task(acks_late=True)
def deliver_sms(message_id: int) -> str:
    """One attempt to send a message; a failure schedules the next with backoff (at once
    when tasks run eagerly)."""
    with transaction.atomic():
        message = retries.claim(SmsMessage, message_id)
        if message is None:
            return "skipped"
        if _attempt(message):
            message.save(update_fields=_SENT_FIELDS)
            return "sent"
        message.save(update_fields=_FAILED_FIELDS)
        _retry_later(message)
        return "retrying" if message.status == OutboundStatus.PENDING else "failed"


@shared_task(acks_late=True)
def deliver_sms_batch(message_ids: list[int]) -> int:
    """The first attempt at many messages queued together (an invitation's batch): the rows
    locked and read in one query, and the sent ones written back in one UPDATE, so that a
    city-wide invitation costs a statement per thousand messages, not two per message. A
    message that fails goes on alone, as `deliver_sms` retries it. Answers how many were
    sent; run again, it skips what is no longer pending (or is locked by another run)."""
    with transaction.atomic():
        messages = list(
            SmsMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, status=OutboundStatus.PENDING)
            .order_by("pk")
        )
        sent, failed = [], []
        for message in messages:
            (sent if _attempt(message) else failed).append(message)
        now = clock.now()
        # What every sent row gets alike, at once; what differs between rows (a provider's
        # id, a code blanked out) only for the rows it concerns.
        SmsMessage.objects.filter(pk__in=[m.pk for m in sent]).update(
            attempts=F("attempts") + 1,
            status=OutboundStatus.SENT,
            sent_at=now,
            last_error="",
        )
        distinct = [m for m in sent if m.provider_id or "code" in m.params]
        SmsMessage.objects.bulk_update(distinct, ["provider_id", "params", "text"], batch_size=500)
        for message in failed:
            message.save(update_fields=_FAILED_FIELDS)
            _retry_later(message)
    return len(sent)


def deliver_due() -> int:
    return retries.sweep(SmsMessage, deliver_sms, RETRIES)


@shared_task
def deliver_due_sms() -> int:
    return deliver_due()
