"""Two app servers behind nginx, with a Celery worker and two beats on Redis: the journeys
of scripts/two_nodes.py (docs/scaling.md, "Two app servers") run on the test database.

The script prepares its own branch, members and activities through the services in the
test database, so the test runs outside a transaction (the script's writes are flushed
after it). Skipped on SQLite (other processes cannot reach the in-memory test database),
without nginx (`make nodes` installs it; `make test-pg` and .ci/run do) and without a
Redis at TWO_NODES_REDIS_URL (default redis://127.0.0.1:6379/5, which it empties)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.conftest import COMMITTED
from tests.faults.conftest import database_url

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("TWO_NODES_REDIS_URL", "redis://127.0.0.1:6379/5")
# nginx, then the two gunicorns on the next two ports.
PORT = int(os.environ.get("TWO_NODES_PORT", "8150"))

pytestmark = [
    COMMITTED,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the nodes, worker and beats are other processes, which cannot reach SQLite's "
        "in-memory test database: run on PostgreSQL (DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(
        shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
        reason="nginx is not installed (make nodes)",
    ),
]


@pytest.fixture
def parts():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (TWO_NODES_REDIS_URL)")


def test_two_nodes_behind_nginx_share_sessions_lockouts_and_one_scheduled_run(parts):
    run = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "scripts" / "two_nodes.py"),
            "--database-url",
            database_url(),
            "--seed",
            "none",
            "--redis",
            REDIS_URL,
            "--port",
            str(PORT),
            "--no-load",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    passed = [line for line in run.stdout.splitlines() if line.startswith("PASS")]
    assert not [line for line in run.stdout.splitlines() if line.startswith("FAIL")], out
    for journey in (
        "node B: serves",
        "node B: takes her leave request",
        "lock her out",
        "checks in (201, recorded)",
        "spreads ten requests over both nodes",
        "/media/ is internal",
        "the worker ran it",
        "is closed once",
    ):
        assert any(journey in line for line in passed), (journey, out)
