import logging

from django.test import override_settings
from django.urls import clear_url_caches, get_resolver
from kombu.exceptions import OperationalError

from dangjian.celery import app
from dangjian.core.warmup import warm_up

DOWN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_it_imports_the_url_configuration_before_the_first_request():
    clear_url_caches()
    assert "url_patterns" not in get_resolver().__dict__
    warm_up()
    assert "url_patterns" in get_resolver().__dict__


@override_settings(CACHES=DOWN_REDIS)
def test_a_cache_that_is_down_is_logged_and_the_worker_starts(caplog):
    with caplog.at_level(logging.WARNING, logger="dangjian.core.warmup"):
        warm_up()
    assert "the cache did not answer" in caplog.text


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_a_broker_that_is_down_is_logged_and_the_worker_starts(caplog, monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(app, "producer_or_acquire", refused)
    with caplog.at_level(logging.WARNING, logger="dangjian.core.warmup"):
        warm_up()
    assert "the task broker did not answer" in caplog.text
