"""A Celery worker is killed (SIGKILL: the out-of-memory killer, a host that dies) in the
middle of a distribution (一键下发): the task's retry, or running the distribution again,
completes it, and nothing is doubled: one planning task per branch, one notice per member,
each handed to the outbound channel once.

A real worker (`celery -A dangjian worker`) on the test's own redis-server and the test
database. To kill it at a known point, the test holds an uncommitted notice of one member
(the unique key the distribution's insert must wait for), so the worker is inside the
distribution's transaction, its planning tasks written, when it is killed."""

import os
import signal
import subprocess
from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dangjian import celery
from dangjian.notifications import services as notifications
from dangjian.notifications.models import Notification, OutboundBatch, OutboundStatus
from dangjian.registry.models import Member
from dangjian.themedays import services as themedays
from dangjian.themedays import tasks as themedays_tasks
from dangjian.themedays.models import Campaign, PlanningTask
from tests.attendance.conftest import NOW, make_campaign
from tests.conftest import COMMITTED
from tests.faults.conftest import (
    ROOT,
    VENV_BIN,
    app_environment,
    backends,
    children,
    stop,
    wait_until,
)

pytestmark = [COMMITTED, pytest.mark.faults]

APP_NAME = "dangjian-faults-worker"


class Worker:
    def __init__(self, redis_url: str, log_path):
        self.redis_url = redis_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "dangjian",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=app_environment(APP_NAME, REDIS_URL=self.redis_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def the_child(self) -> int:
        """The pool process that runs the tasks."""
        kids = wait_until(lambda: children(self.process.pid), 10, "the worker's pool process")
        assert len(kids) == 1
        return kids[0]

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def worker(postgresql_only, on_redis, tmp_path):
    if not (VENV_BIN / "celery").exists():
        pytest.skip("celery is not installed")
    started = []

    def start() -> Worker:
        one = Worker(on_redis.url, tmp_path / "worker.log")
        one.start()
        started.append(one)
        return one

    yield start
    for one in started:
        one.stop()


@pytest.fixture
def one_notice_held(world):
    """An uncommitted notice of the campaign for county b's member, on a connection of the
    test's own: the distribution's insert of that notice waits for it."""

    def hold(campaign):
        db = connection.settings_dict
        blocker = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
        )
        # In the month the distribution files the campaign's notices under (partitioned
        # notices: the insert it must wait for is one of the same partition key).
        month = notifications.months_of_keys({campaign.dedupe_key})[campaign.dedupe_key]
        blocker.execute(
            "INSERT INTO notifications_notification "
            "(user_id, kind, title, body, link, dedupe_key, created_at, month) "
            "VALUES (%s, 'campaign', 'held', '', '', %s, now(), %s)",
            [world.b.member.user_id, campaign.dedupe_key, month],
        )
        holds.append(blocker)
        return blocker

    holds = []
    yield hold
    for blocker in holds:
        blocker.close()


def expected(world) -> tuple[set[int], set[int]]:
    branches = {
        world.a.branch.pk,
        world.a.other_branch.pk,
        world.b.branch.pk,
        world.b.other_branch.pk,
    }
    users = set(Member.objects.filter(is_active=True).values_list("user_id", flat=True))
    return branches, users


def distributed(campaign_id: int, *, again_since=None) -> bool:
    """Finished; with `again_since` (when it finished before), finished once more."""
    at = Campaign.objects.filter(pk=campaign_id).values_list("distributed_at", flat=True).get()
    return at is not None and at != again_since


def campaign_of(world) -> Campaign:
    with time_machine.travel(NOW, tick=False):
        return make_campaign(world)


def assert_distributed_once(world, campaign):
    branches, users = expected(world)
    tasks = list(PlanningTask.objects.filter(campaign=campaign).values_list("branch_id", flat=True))
    assert sorted(tasks) == sorted(branches)
    notified = list(
        Notification.objects.filter(dedupe_key=campaign.dedupe_key).values_list(
            "user_id", flat=True
        )
    )
    assert sorted(notified) == sorted(users)
    # Every notice handed to the channel once, by the worker.
    wait_until(
        lambda: not OutboundBatch.objects.exclude(status=OutboundStatus.SENT).exists(),
        30,
        "the worker to deliver the notices",
    )
    sent = [
        n["user_id"]
        for batch in OutboundBatch.objects.all()
        for n in batch.payload["notices"]
        if n["kind"] == "campaign"
    ]
    assert sorted(sent) == sorted(users)


def test_a_worker_process_killed_mid_distribution_is_retried_and_nothing_is_doubled(
    world, worker, one_notice_held
):
    campaign = campaign_of(world)
    blocker = one_notice_held(campaign)
    running = worker()
    themedays.request_distribution(actor=world.city_admin, campaign=campaign)

    wait_until(
        lambda: backends(APP_NAME, waiting_on_a_lock=True), 60, "the distribution to be running"
    )
    os.kill(running.the_child(), signal.SIGKILL)
    blocker.rollback()  # the member's notice was never there

    # Nobody clicks: the task is put back on the queue and run again by the new pool process.
    wait_until(lambda: distributed(campaign.pk), 40, "the distribution to complete")
    assert_distributed_once(world, campaign)

    # Running it again (a second click) adds nothing.
    first = Campaign.objects.get(pk=campaign.pk).distributed_at
    again = themedays.request_distribution(actor=world.city_admin, campaign=campaign)
    assert again["already_distributed"] is True
    wait_until(lambda: distributed(campaign.pk, again_since=first), 30, "the second run")
    assert_distributed_once(world, campaign)


def test_a_whole_worker_killed_mid_distribution_is_resumed_by_the_scheduler(
    world, worker, one_notice_held
):
    campaign = campaign_of(world)
    blocker = one_notice_held(campaign)
    killed = worker()
    themedays.request_distribution(actor=world.city_admin, campaign=campaign)
    wait_until(
        lambda: backends(APP_NAME, waiting_on_a_lock=True), 60, "the distribution to be running"
    )
    # The worker and its pool process die: the task stays unacknowledged in Redis (it would
    # come back only after the broker's visibility timeout).
    os.killpg(killed.process.pid, signal.SIGKILL)
    killed.process.wait(10)
    blocker.rollback()
    wait_until(lambda: not backends(APP_NAME), 30, "the killed worker's connections to end")
    assert not distributed(campaign.pk)

    worker()  # a new worker, as systemd restarts it
    # Nobody clicks: the scheduler finds the distribution unfinished and runs it again.
    later = timezone.now() + themedays.DISTRIBUTION_RESUME_AFTER + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert themedays_tasks.resume_distributions() == 1
    assert distributed(campaign.pk)
    assert_distributed_once(world, campaign)
    # The lost message, delivered again at last, adds nothing either.
    done = Campaign.objects.get(pk=campaign.pk).distributed_at
    assert celery.send(themedays_tasks.distribute_campaign, (campaign.pk,))
    wait_until(lambda: distributed(campaign.pk, again_since=done), 30, "the redelivered task")
    assert_distributed_once(world, campaign)
