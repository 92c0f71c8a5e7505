"""What a web worker loads once at its start instead of during its first requests.

Django imports the URL configuration (and with it every view, the API and its schemas) on
the first request a process serves, and the cache's Redis client and Celery's producer
are set up on first use: after every deploy or worker restart, the first members to scan
a poster would wait for it (docs/performance.md, "Checking in").
dangjian/wsgi.py runs `warm_up()` as each worker starts, before it accepts requests."""

import logging

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Import the URL configuration, and connect the cache and the task queue. A service
    that is down is logged, not raised: the worker starts all the same and connects when a
    request needs it (as it would have without this)."""
    from django.urls import resolve

    # Resolving any path imports the URL configuration and every module it names.
    resolve("/healthz")

    from django.conf import settings
    from django.core.cache import cache

    try:
        cache.get("warm-up")
    except Exception:  # a cache that is down must not stop the worker from starting
        logger.warning("warm-up: the cache did not answer", exc_info=True)

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from dangjian.celery import app

        try:
            with app.producer_or_acquire() as producer:
                producer.connection.ensure_connection(max_retries=1)
        except Exception:  # the broker being down must not stop the worker either
            logger.warning("warm-up: the task broker did not answer", exc_info=True)
