"""Celery application. With REDIS_URL unset, tasks run eagerly in the calling process."""

import logging
import os
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

app = Celery("dangjian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# After the broker refused a message, this process does not try it again for this long:
# during an outage each request would otherwise wait for its own failed publish.
BROKER_DOWN_PAUSE_SECONDS = 10.0
_broker_down_until = 0.0


@app.on_after_configure.connect
def _schedule(sender, **kwargs):
    from dangjian.core.scheduling import beat_schedule

    sender.conf.beat_schedule = beat_schedule()


def send(task, args: tuple = (), *, countdown: float | None = None) -> bool:
    """Queue `task` with `args`: True when the broker took it. When the broker is down
    (Redis stopped), False, logged: the caller's work must already be findable by a
    scheduled sweep (core/scheduling.py), which does it once the broker is back. Never
    raises for a broker that is down, and gives up within the broker's timeouts
    (settings: CELERY_BROKER_CONNECTION_TIMEOUT, CELERY_TASK_PUBLISH_RETRY_POLICY).
    With tasks run eagerly (no broker), the task runs here and its errors propagate."""
    global _broker_down_until
    if app.conf.task_always_eager:
        task.apply_async(args, countdown=countdown)
        return True
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args, countdown=countdown)
    except Exception:  # any broker failure; the sweep does the work instead
        _broker_down_until = time.monotonic() + BROKER_DOWN_PAUSE_SECONDS
        logger.warning(
            "task broker unavailable: %s%r not queued, left to the scheduled sweep",
            task.name,
            args,
            exc_info=True,
        )
        return False
    return True


def redis_is_down() -> bool:
    """This process saw Redis fail (the broker, or the cache: both are REDIS_URL) in the
    last BROKER_DOWN_PAUSE_SECONDS: callers skip what they would have asked it."""
    return time.monotonic() < _broker_down_until


def redis_failed() -> None:
    """The cache, the same Redis as the broker, failed: don't wait on either for a while."""
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_DOWN_PAUSE_SECONDS


def reset() -> None:
    """Forget a broker failure (tests, and a worker that reconnected)."""
    global _broker_down_until
    _broker_down_until = 0.0
