"""A notice reaches a recipient's WeChat once even when its deliveries run at the same
instant (two runs of one distribution, a batch delivered by its task and the sweep): the
unique key (user, notice) of notifications_wechatmessage decides, and the row lock of the
send. Real concurrency needs real connections: PostgreSQL only (SQLite serializes every
write transaction); tests/notifications/test_wechat.py checks the same one delivery at a
time on either database."""

import threading

import pytest
from django.db import connection, connections, transaction

from dangjian.notifications import channels
from dangjian.notifications.models import OutboundStatus, WechatMessage
from tests.conftest import COMMITTED

from .wechat_standin import bind

pytestmark = COMMITTED
THREADS = 6


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def test_one_notice_delivered_by_parallel_workers_reaches_wechat_once(world, stand_in):
    bind(world.a.member.user, "openid-a")
    notice = {
        "user_id": world.a.member.user_id,
        "key": "campaign:7",
        "kind": "campaign",
        "title": "十二月主题党日",
        "body": "",
        "url": "http://127.0.0.1:8000/m/",
    }
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker():
        try:
            barrier.wait()
            with transaction.atomic():
                channels.get("wechat").send([notice])
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert [m["touser"] for m in stand_in.accepted] == ["openid-a"]
    message = WechatMessage.objects.get()
    assert (message.status, message.attempts) == (OutboundStatus.SENT, 1)
