"""Faults survived with real parts: a Redis server of the test's own, started, killed and
started again (never the shared one), and gunicorn and Celery worker processes serving the
test database, whose connections the tests end (only their own, found by application name).

The tests skip themselves where a part is missing: redis-server, or PostgreSQL for the
tests that run other processes (they cannot reach SQLite's in-memory test database)."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from dangjian import celery
from dangjian.scoring import services as scoring

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll `condition` until it returns something true; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class RedisServer:
    """A redis-server of the test's own on a spare port, without persistence: killing it
    loses everything it held, as a Redis that crashes without a dump does."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_until(lambda: self._pings(client), 10, f"redis-server on port {self.port}")

    @staticmethod
    def _pings(client) -> bool:
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server():
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.kill()


@pytest.fixture
def on_redis(redis_server):
    """This process's cache and Celery producer on the test's Redis, as with REDIS_URL set
    (tasks queued, not run eagerly). Undone before the shared fixtures tear down."""
    url = redis_server.url
    # Read before the settings change: Celery reads them when its configuration is first used.
    saved = {key: celery.app.conf[key] for key in ("broker_url", "task_always_eager")}
    overridden = override_settings(
        REDIS_URL=url,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "hf",
                "OPTIONS": settings.REDIS_CACHE_TIMEOUTS,
            }
        },
        CELERY_BROKER_URL=url,
        CELERY_TASK_ALWAYS_EAGER=False,
    )
    overridden.enable()
    celery.app.conf.update(broker_url=url, task_always_eager=False)
    _new_producers()
    celery.reset()
    try:
        yield redis_server
    finally:
        celery.app.conf.update(saved)
        _new_producers()
        celery.reset()
        scoring._queued_here.clear()  # this process's debounce marks, for the next tests
        overridden.disable()


def _new_producers() -> None:
    # Producers made for the broker before are dropped (as Celery does after a fork);
    # app.close() would do it too, but also unregisters the app, and the shared tasks
    # imported after that would not find it.
    # kombu keeps its producer pools process-wide, one per broker, each holding its
    # connection pool: a closed connection pool left there fails the next task sent to that
    # broker, even an eager one (Celery acquires a producer for those too). kombu.pools.reset
    # closes and forgets them all.
    app = celery.app
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "other processes cannot reach SQLite's in-memory test database: this fault is "
            "tested on PostgreSQL (DATABASE_URL=postgres://...)"
        )


def database_url() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def app_environment(app_name: str, **extra: str) -> dict:
    """The environment of a process serving the test database as production runs: the
    same keys as this process (so that it reads what the tests wrote), its connections
    named `app_name` (PostgreSQL's application_name) so that a test can end them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        DATABASE_URL=database_url(),
        PGAPPNAME=app_name,
        SECRET_KEY=settings.SECRET_KEY,
        PYTHONPATH=str(ROOT / "src"),
        LOG_LEVEL="WARNING",
    )
    if settings.FIELD_ENCRYPTION_KEYS:
        env["FIELD_ENCRYPTION_KEYS"] = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    if settings.ID_NUMBER_HASH_KEY:
        env["ID_NUMBER_HASH_KEY"] = settings.ID_NUMBER_HASH_KEY
    env.update(extra)
    return env


def backends(app_name: str, *, waiting_on_a_lock: bool = False) -> list[int]:
    """The PostgreSQL backends of the test database opened by processes named `app_name`."""
    sql = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = %s AND pid <> pg_backend_pid()"
    )
    if waiting_on_a_lock:
        sql += " AND wait_event_type = 'Lock'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [app_name])
        return [row[0] for row in cursor.fetchall()]


def terminate_backends(app_name: str) -> int:
    """pg_terminate_backend() on the connections of processes named `app_name`, on the
    test database only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s "
            "AND pid <> pg_backend_pid()",
            [app_name],
        )
        return cursor.fetchone()[0]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, with everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
