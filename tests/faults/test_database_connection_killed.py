"""The database ends the web workers' connections (pg_terminate_backend: a failover, an
operator, idle_session_timeout) in the middle of a check-in burst: at most one request per
worker fails, nothing is half-written, and the requests that follow succeed. Real gunicorn
workers serve the test database; only their own connections are ended."""

import json
import subprocess
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dangjian.attendance.models import ACCEPTED, AttemptKind, AttendanceRecord, CheckInAttempt
from dangjian.registry.models import Member
from dangjian.themedays import services as themedays
from dangjian.themedays.models import Activity, RosterEntry
from tests.attendance.conftest import near
from tests.conftest import COMMITTED, token_for
from tests.factories import make_member
from tests.faults.conftest import (
    ROOT,
    VENV_BIN,
    app_environment,
    backends,
    free_port,
    stop,
    terminate_backends,
    wait_until,
)
from tests.themedays.conftest import plan_kwargs

pytestmark = [COMMITTED, pytest.mark.faults]

APP_NAME = "dangjian-faults-web"
WORKERS = 2
EXTRA_MEMBERS = 45
KILLS = 2


def request(url: str, *, token: str | None = None, body: dict | None = None):
    """(status, parsed body); status None when no answer came."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        return None, str(exc).encode()


@pytest.fixture
def gunicorn(postgresql_only, tmp_path):
    """gunicorn as production runs it (sync workers, persistent connections with their
    health check, no Redis: tasks run in the request) on the test database."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "dangjian.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--worker-tmp-dir",
            "/dev/shm",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=app_environment(APP_NAME),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: request(f"{base}/healthz")[0] == 200, 60, "gunicorn to answer")
        yield base
    finally:
        stop(process)
        log.close()


@pytest.fixture
def held_activity(world):
    """County a's branch's activity that started five minutes ago (planned and approved an
    hour before), with more members, none checked in yet."""
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        activity = themedays.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=None,
            **plan_kwargs(starts_at=start, ends_at=start + timedelta(hours=2)),
        )
        themedays.submit_activity(actor=world.a.branch_admin, activity=activity)
        themedays.approve_activity(actor=world.a.admin, activity=activity)
        for i in range(EXTRA_MEMBERS):
            make_member(world.city_admin, world.a.branch, name=f"支部党员{i}", password=None)
    return Activity.objects.get(pk=activity.pk)


def test_killed_connections_fail_at_most_one_request_per_worker_and_half_write_nothing(
    world, held_activity, gunicorn
):
    activity = held_activity
    members = list(Member.objects.filter(branch=world.a.branch, is_active=True))
    tokens = {m.pk: token_for(m.user) for m in members}
    lat, lon = near(20)
    body = {"token": activity.checkin_token, "latitude": lat, "longitude": lon, "accuracy_m": 15}
    url = f"{gunicorn}/api/v1/attendance/check-in"
    # Every worker has its connections open before the burst.
    for _ in range(4 * WORKERS):
        assert request(f"{gunicorn}/healthz")[0] == 200
    wait_until(lambda: backends(APP_NAME), 10, "the workers' connections")

    answers: dict[int, tuple] = {}
    done = threading.Semaphore(0)

    def check_in(member):
        answers[member.pk] = request(url, token=tokens[member.pk], body=body)
        done.release()

    ended = 0
    with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
        for member in members:
            pool.submit(check_in, member)
        step = len(members) // (KILLS + 1)
        for _kill in range(KILLS):
            for _ in range(step):
                done.acquire(timeout=60)
            # Mid-burst: requests are being served on these connections.
            ended += terminate_backends(APP_NAME)
    assert ended >= WORKERS  # at least the connections every worker had before the burst

    failed = [pk for pk, (status, _) in answers.items() if status not in (200, 201)]
    assert len(answers) == len(members)
    assert len(failed) <= KILLS * WORKERS, {pk: answers[pk] for pk in failed}
    # Those members try again, and everyone after them is served.
    again = [request(url, token=tokens[pk], body=body)[0] for pk in failed]
    assert all(status in (200, 201) for status in again), again
    for _ in range(4 * WORKERS):
        assert request(f"{gunicorn}/healthz")[0] == 200

    # Nothing half-written: one record per member, each with the one accepted attempt that
    # wrote it, and the roster frozen whole, once.
    records = list(
        AttendanceRecord.objects.filter(activity=activity).values_list("member_id", flat=True)
    )
    assert sorted(records) == sorted(m.pk for m in members)
    accepted = list(
        CheckInAttempt.objects.filter(
            activity=activity, kind=AttemptKind.CHECK_IN, code=ACCEPTED
        ).values_list("member_id", flat=True)
    )
    assert sorted(accepted) == sorted(records)
    assert RosterEntry.objects.filter(activity=activity).count() == len(members)
    activity.refresh_from_db()
    assert activity.roster_frozen_at is not None
