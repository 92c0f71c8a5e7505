"""The SMS backends: the providers' official SDKs pointed at a local stand-in server that
answers as their documented SendSms APIs do (Aliyun Dysmsapi 2017-05-25, Tencent Cloud SMS
2021-01-11), and the retries and status of the outbox row."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from dangjian.notifications import services, sms
from dangjian.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


class StandIn:
    """Answers SendSms as Aliyun (a form/query request, `{"Code": "OK", ...}`) or Tencent
    Cloud (JSON with `X-TC-Action: SendSms`, `{"Response": {...}}`); `failures` first
    answers are the provider's documented errors."""

    def __init__(self):
        self.requests: list[dict] = []
        self.failures = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                failing = stand_in.failures > 0
                stand_in.failures -= 1
                if self.headers.get("X-TC-Action"):
                    answer = stand_in.tencent(failing)
                else:
                    answer = stand_in.aliyun(failing)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def aliyun(failing: bool) -> dict:
        if failing:
            return {
                "Code": "isv.BUSINESS_LIMIT_CONTROL",
                "Message": "触发分钟级流控Permits:1",
                "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
            }
        return {
            "Code": "OK",
            "Message": "OK",
            "BizId": "900619746936498440^0",
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        }

    @staticmethod
    def tencent(failing: bool) -> dict:
        if failing:
            return {
                "Response": {
                    "Error": {
                        "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                        "Message": "单个手机号30秒内下发短信条数超过设定的上限",
                    },
                    "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
                }
            }
        return {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "PhoneNumber": f"+86{PHONE}",
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(settings):
    server = StandIn()
    settings.SMS_ALIYUN_ENDPOINT = server.url
    settings.SMS_TENCENT_ENDPOINT = server.url
    settings.SMS_SIGN_NAME = "天汉先锋"
    settings.SMS_ACCESS_KEY_ID = "test-key-id"
    settings.SMS_ACCESS_KEY_SECRET = "test-key-secret"
    settings.SMS_TENCENT_APP_ID = "1400787878"
    yield server
    server.close()


def send(django_capture_on_commit_callbacks, code="123456") -> SmsMessage:
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_sms(
            phone=PHONE, template="verification_code", params={"code": code, "minutes": 5}
        )
    message.refresh_from_db()
    return message


def test_aliyun_sends_the_code_with_the_sign_name_and_template(
    stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_TEMPLATES = {"verification_code": "SMS_154950909"}
    message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts, message.backend) == ("sent", 1, "aliyun")
    assert message.provider_id == "900619746936498440^0"
    (request,) = stand_in.requests
    query = parse_qs(urlsplit(request["path"]).query)
    assert query["PhoneNumbers"] == [PHONE]
    assert query["SignName"] == ["天汉先锋"]
    assert query["TemplateCode"] == ["SMS_154950909"]
    assert json.loads(query["TemplateParam"][0]) == {"code": "123456", "minutes": 5}
    assert request["headers"]["x-acs-action"] == "SendSms"
    assert "Credential=test-key-id" in request["headers"]["Authorization"]
    # The clear code does not stay on the row once sent (outside the demo).
    assert message.params["code"] == "******" and "123456" not in message.text


def test_tencent_sends_the_code_as_the_templates_parameters(
    stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TEMPLATES = {"verification_code": "1110391"}
    message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.provider_id == "5000:1045710669157053657849499619"
    (request,) = stand_in.requests
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["X-TC-Version"] == "2021-01-11"
    assert "test-key-id" in request["headers"]["Authorization"]
    assert json.loads(request["body"]) == {
        "PhoneNumberSet": [f"+86{PHONE}"],
        "SmsSdkAppId": "1400787878",
        "SignName": "天汉先锋",
        "TemplateId": "1110391",
        "TemplateParamSet": ["123456", "5"],
    }


@pytest.mark.parametrize("backend", ["aliyun", "tencent"])
def test_a_refused_message_is_retried_until_the_provider_takes_it(
    backend, stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = backend
    settings.SMS_TEMPLATES = {"verification_code": "T1"}
    stand_in.failures = 2
    message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")
    assert len(stand_in.requests) == 3


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("aliyun", "isv.BUSINESS_LIMIT_CONTROL"),
        ("tencent", "LimitExceeded.PhoneNumberThirtySecondLimit"),
    ],
)
def test_a_message_the_provider_keeps_refusing_fails_with_its_error_kept(
    backend, error, stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = backend
    settings.SMS_TEMPLATES = {"verification_code": "T1"}
    stand_in.failures = 100
    message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == ("failed", sms.RETRIES.max_attempts)
    assert error in message.last_error
    assert len(stand_in.requests) == sms.RETRIES.max_attempts
    assert message.params["code"] == "******"


def test_an_unreachable_provider_is_a_failure_to_retry(
    settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_TEMPLATES = {"verification_code": "T1"}
    settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET = "id", "secret"
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        settings.SMS_ALIYUN_ENDPOINT = f"http://127.0.0.1:{closed.getsockname()[1]}"
    message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == ("failed", sms.RETRIES.max_attempts)
    assert message.last_error.startswith("aliyun:")
    assert "Connection refused" in message.last_error or "Errno 111" in message.last_error


def test_a_provider_without_a_template_id_fails_visibly(
    stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TEMPLATES = {"verification_code": ""}
    message = send(django_capture_on_commit_callbacks)
    assert message.status == "failed" and "SMS_TEMPLATE" in message.last_error
    assert stand_in.requests == []


def test_the_demo_outbox_keeps_the_code_readable(settings, django_capture_on_commit_callbacks):
    settings.SMS_DEMO_OUTBOX = True
    message = send(django_capture_on_commit_callbacks, code="654321")
    assert message.status == "sent" and message.params["code"] == "654321"
    assert "654321" in message.text


def test_the_sweep_sends_messages_whose_task_never_ran_and_leaves_fresh_ones(settings):
    from datetime import timedelta

    from dangjian.core import clock

    settings.SMS_BACKEND = "log"
    now = clock.now()

    def queued(seconds_ago: int) -> SmsMessage:
        params = {"code": "111222", "minutes": 5}
        return SmsMessage.objects.create(
            phone=PHONE,
            template="verification_code",
            params=params,
            text=sms.render("verification_code", params),
            backend="log",
            created_at=now - timedelta(seconds=seconds_ago),
        )

    lost, fresh = queued(sms.RETRIES.grace_seconds + 1), queued(5)
    assert sms.deliver_due() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.attempts, fresh.status) == ("sent", 1, "pending")


PHONES = [f"1391234{n:04d}" for n in range(20)]
INVITATION = {"url": "https://dj.example.cn/m/activate/"}


def send_batch(django_capture_on_commit_callbacks, phones=PHONES) -> list[SmsMessage]:
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_sms_batch(
            phones=phones, template="activation_invitation", params=INVITATION
        ) == len(phones)
    return list(SmsMessage.objects.filter(phone__in=phones).order_by("pk"))


def test_a_batch_is_written_and_sent_in_a_few_statements_whatever_its_size(
    settings, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    settings.SMS_BACKEND = "log"
    # Insert, then the task's lock-and-read and one UPDATE (plus savepoints): not two a message.
    with django_assert_max_num_queries(8):
        messages = send_batch(django_capture_on_commit_callbacks)
    assert {(m.status, m.attempts, m.last_error) for m in messages} == {("sent", 1, "")}
    assert all(m.sent_at is not None for m in messages)
    assert "https://dj.example.cn/m/activate/" in messages[0].text


def test_in_a_batch_a_refused_message_is_retried_alone_and_the_others_keep_their_ids(
    stand_in, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_TEMPLATES = {"activation_invitation": "SMS_1"}
    stand_in.failures = 1  # the provider refuses the first request it gets
    messages = send_batch(django_capture_on_commit_callbacks, PHONES[:3])
    assert [(m.status, m.attempts) for m in messages] == [("sent", 2), ("sent", 1), ("sent", 1)]
    assert all(m.provider_id == "900619746936498440^0" for m in messages)
    assert len(stand_in.requests) == 4


def test_a_batch_run_again_sends_nothing_twice(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "log"
    messages = send_batch(django_capture_on_commit_callbacks, PHONES[:5])
    assert sms.deliver_sms_batch([m.pk for m in messages]) == 0
    assert set(SmsMessage.objects.values_list("attempts", flat=True)) == {1}
