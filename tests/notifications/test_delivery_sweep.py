"""A notice whose delivery task never reached the broker (Redis down when it was queued) or
was lost with it stays pending in the database; the scheduled sweep delivers it once it is
overdue, and a batch is never sent twice by the sweep and its queued task."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian import celery
from dangjian.notifications import services, tasks
from dangjian.notifications.models import OutboundBatch, OutboundStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def broker_down(monkeypatch):
    """A broker that refuses every message, as a stopped Redis does."""
    eager = celery.app.conf.task_always_eager
    celery.app.conf.task_always_eager = False

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.deliver_outbound, "apply_async", refused)
    celery.reset()
    yield
    celery.reset()
    celery.app.conf.task_always_eager = eager


def test_a_notice_queued_while_the_broker_is_down_is_delivered_by_the_sweep(
    world, broker_down, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(user_ids=[world.a.member.user_id], kind="test", title="测试通知")
        batch = OutboundBatch.objects.get()
        assert (batch.status, batch.attempts) == (OutboundStatus.PENDING, 0)

        assert tasks.deliver_due() == 0  # its task might still be on its way
        clock.shift(timedelta(seconds=tasks.RETRIES.grace_seconds))
        assert tasks.deliver_due() == 1
        batch.refresh_from_db()
        assert (batch.status, batch.attempts) == (OutboundStatus.SENT, 1)
        # The queued task, if it ever comes, sends nothing more.
        assert tasks.deliver_outbound(batch.pk) == "skipped"
        assert tasks.deliver_due() == 0


def test_a_retry_is_overdue_only_after_its_backoff():
    now = NOW
    batch = OutboundBatch.objects.create(
        channel="log", payload={"notices": []}, created_at=now, attempts=2
    )
    waited = (
        tasks.RETRIES.backoff_seconds(1)
        + tasks.RETRIES.backoff_seconds(2)
        + tasks.RETRIES.grace_seconds
    )
    with time_machine.travel(now + timedelta(seconds=waited - 1), tick=False):
        assert tasks.deliver_due() == 0
    with time_machine.travel(now + timedelta(seconds=waited), tick=False):
        assert tasks.deliver_due() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == (OutboundStatus.SENT, 3)
