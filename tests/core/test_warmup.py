import logging
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
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


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers (a Redis that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_a_cache_that_hangs_is_given_up_on_and_the_worker_starts(silent_server, caplog):
    hung = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{silent_server}/0",
            "OPTIONS": settings.REDIS_CACHE_TIMEOUTS,
        }
    }
    started = time.monotonic()
    with override_settings(CACHES=hung), caplog.at_level(logging.WARNING):
        warm_up()
    assert time.monotonic() - started < settings.REDIS_CACHE_TIMEOUTS["socket_timeout"] + 2
    assert "the cache did not answer" in caplog.text


def test_the_wsgi_module_warms_the_worker_up_as_it_is_imported():
    # A new process, as a gunicorn worker is: importing the WSGI module alone must leave
    # the URL configuration loaded.
    probe = (
        "import dangjian.wsgi\n"
        "from django.urls import get_resolver\n"
        "print('url_patterns' in get_resolver().__dict__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True"
