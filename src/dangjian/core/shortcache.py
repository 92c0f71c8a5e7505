"""Figures that are costly to count and may be a few minutes old (a dashboard's sums),
kept in the shared cache. The cache is only a shortcut: with Redis down the caller counts
again, and waits for Redis at most once (its timeouts) while it is down."""

import hashlib
import logging

from django.core.cache import cache

from dangjian import celery

logger = logging.getLogger(__name__)


def key(prefix: str, *parts) -> str:
    """A cache key for `parts` under `prefix`, hashed: the parts may hold any text (a
    category, a timestamp with blanks), which memcached-style keys do not take."""
    return prefix + ":" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def get_many(keys: list[str]) -> dict:
    """The values kept under `keys` (those found); none when the cache is unavailable."""
    if celery.redis_is_down():
        return {}
    try:
        return cache.get_many(keys)
    except Exception:
        celery.redis_failed()
        logger.warning("cache unavailable: the figures are counted again", exc_info=True)
        return {}


def set_many(values: dict, *, timeout: int) -> None:
    """Keep `values` for `timeout` seconds; nothing happens when the cache is unavailable
    (the next reader counts again)."""
    if celery.redis_is_down():
        return
    try:
        cache.set_many(values, timeout=timeout)
    except Exception:
        celery.redis_failed()
        logger.warning("cache unavailable: the figures are not kept", exc_info=True)
