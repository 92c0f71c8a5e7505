import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dangjian.notifications import channels, services
from dangjian.notifications.models import Notification, OutboundBatch, OutboundStatus

pytestmark = pytest.mark.django_db
SECRET = "gateway-shared-secret"


class Gateway:
    """A real HTTP server on loopback that answers with the statuses it is given."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append((dict(self.headers), body))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings):
    channels.get.cache_clear()
    settings.NOTIFICATION_CHANNELS = ["webhook"]
    settings.NOTIFICATION_WEBHOOK_SECRET = SECRET

    def configure(url):
        settings.NOTIFICATION_WEBHOOK_URL = url
        channels.get.cache_clear()

    yield configure
    channels.get.cache_clear()


def test_the_webhook_posts_a_signed_body_and_retries_after_a_failure(
    world, webhook, django_capture_on_commit_callbacks
):
    with Gateway([500, 200]) as gateway:
        webhook(gateway.url)
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(
                user_ids=[world.a.member.user_id], kind="test", title="测试通知", link="/m/"
            )

    assert len(gateway.requests) == 2
    headers, body = gateway.requests[-1]
    expected = channels.sign(SECRET, headers["X-Dangjian-Timestamp"], body)
    assert headers["X-Dangjian-Signature"] == expected
    notice = json.loads(body)["notices"][0]
    assert notice["phone"] == world.a.member.user.phone
    assert notice["title"] == "测试通知"
    assert notice["url"].endswith("/m/")
    batch = OutboundBatch.objects.get()
    assert batch.status == OutboundStatus.SENT
    assert batch.attempts == 2


def test_a_gateway_that_keeps_failing_never_loses_the_in_app_notice(
    world, webhook, django_capture_on_commit_callbacks
):
    with Gateway([503] * 20) as gateway:
        webhook(gateway.url)
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(user_ids=[world.a.member.user_id], kind="test", title="测试通知")

    assert Notification.objects.filter(user=world.a.member.user, title="测试通知").exists()
    batch = OutboundBatch.objects.get()
    assert batch.status == OutboundStatus.FAILED
    assert batch.attempts == len(gateway.requests) == 7
    assert "503" in batch.last_error


def test_a_signature_made_with_another_secret_does_not_match():
    body = b'{"notices": []}'
    assert channels.sign(SECRET, "1700000000", body) != channels.sign("other", "1700000000", body)


def test_notify_with_a_dedupe_key_sends_each_user_one_notice(world):
    for _ in range(2):
        created = services.notify(
            user_ids=[world.a.member.user_id, world.b.member.user_id],
            kind="campaign",
            title="本月主题党日",
            dedupe_key="campaign:1",
        )
    assert created == 0
    assert Notification.objects.filter(dedupe_key="campaign:1").count() == 2


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("1381234", "*******"),
        ("", ""),
    ],
)
def test_a_phone_number_is_masked_for_the_log(phone, masked):
    assert channels.mask_phone(phone) == masked


def test_the_log_channel_writes_recipients_phone_numbers_masked(
    world, settings, caplog, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_CHANNELS = ["log"]
    channels.get.cache_clear()
    phone = world.a.member.user.phone

    with (
        caplog.at_level(logging.INFO, logger="dangjian.notifications.channels"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(user_ids=[world.a.member.user_id], kind="test", title="测试通知")

    logged = [r.getMessage() for r in caplog.records if r.name == channels.logger.name]
    assert len(logged) == 1 and "测试通知" in logged[0]
    assert phone not in logged[0]
    assert f"{phone[:3]}****{phone[-4:]}" in logged[0]
    batch = OutboundBatch.objects.get()
    assert batch.status == OutboundStatus.SENT
    assert batch.payload["notices"][0]["phone"] == phone  # what a channel is given is whole
