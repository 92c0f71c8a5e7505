"""Redis (cache and task broker) stops in the middle of a theme day's check-in burst: every
check-in is still recorded at once, no request fails or waits on Redis, and what Redis
lost or refused (score recomputes, notices to the outbound channels, a distribution) is
done by the scheduled jobs once it is back, with nobody clicking. A Redis that hangs costs
a request its timeout, once."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.test import Client

from dangjian.attendance.models import AttendanceRecord, AttendanceStatus
from dangjian.core import scheduling
from dangjian.notifications.models import OutboundBatch, OutboundStatus
from dangjian.registry.models import Member
from dangjian.scoring import services as scoring
from dangjian.scoring import tasks
from dangjian.scoring.models import ActivityScore
from dangjian.supervision import monthly_services
from dangjian.themedays import services as themedays
from dangjian.themedays.models import Campaign, PlanningTask
from tests.attendance.conftest import NOW, START, approve, at, make_campaign, near
from tests.conftest import COMMITTED, token_for
from tests.factories import make_member
from tests.themedays.conftest import plan_kwargs

pytestmark = [COMMITTED, pytest.mark.faults]

# What a request may wait for a Redis that is down (settings.REDIS_CACHE_TIMEOUTS).
TIMEOUT_S = 2.0
EXTRA_MEMBERS = 9


class Api:
    """A JSON client of /api/v1/ that shows a server error as the 500 it answers (the test
    client would raise it), and times every request."""

    def __init__(self, user):
        self.client = Client(raise_request_exception=False)
        self.headers = {"Authorization": f"Bearer {token_for(user)}"}
        self.slowest = 0.0

    def post(self, path: str, data: dict | None = None):
        started = time.monotonic()
        response = self.client.post(
            f"/api/v1{path}", data or {}, content_type="application/json", headers=self.headers
        )
        self.slowest = max(self.slowest, time.monotonic() - started)
        return response


def check_in_body(activity) -> dict:
    lat, lon = near(20)
    return {"token": activity.checkin_token, "latitude": lat, "longitude": lon, "accuracy_m": 15}


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    settings.API_TOKEN_TTL = timedelta(days=60)


def test_check_ins_survive_a_stopped_redis_and_what_it_lost_is_done_once_it_is_back(
    world, on_redis
):
    redis_server = on_redis
    with at(NOW):
        campaign = make_campaign(world)
        activity = approve(world, world.a.branch, world.a.branch_admin, world.a.admin, campaign)
        for i in range(EXTRA_MEMBERS):
            make_member(world.city_admin, world.a.branch, name=f"支部党员{i}")
        # County b's plan, submitted: its county approves it while Redis is down.
        plan = themedays.draft_activity(
            actor=world.b.branch_admin,
            branch=world.b.branch,
            campaign=campaign,
            **plan_kwargs(
                starts_at=START + timedelta(days=2), ends_at=START + timedelta(days=2, hours=2)
            ),
        )
        themedays.submit_activity(actor=world.b.branch_admin, activity=plan)
    members = list(Member.objects.filter(branch=world.a.branch, is_active=True).order_by("pk"))
    assert len(members) == 3 + EXTRA_MEMBERS
    clients = [Api(m.user) for m in members]
    county_b, city = Api(world.b.admin), Api(world.city_admin)
    # The month's supervision sheets were made by the hourly job from the policy's day (the
    # 5th), days before this theme day: their reminders, like the plan's submission
    # notices, are not this test's, and the scheduled passes below have no sheet to make.
    with at(START):
        monthly_services.make_due_monthly_sheets()
    OutboundBatch.objects.all().delete()

    # The burst begins with Redis up: the first check-in queues the debounced recompute,
    # which a worker runs.
    with at(START + timedelta(minutes=1)):
        for client in clients[:3]:
            assert client.post("/attendance/check-in", check_in_body(activity)).status_code == 201
    with at(START + timedelta(minutes=1, seconds=scoring.DEBOUNCE_SECONDS)):
        tasks.recompute_activity_score(activity.pk)
    early = sum(1 for m in members[:3] if not m.is_flowing)
    assert ActivityScore.objects.get(activity=activity).checked_in_non_flowing == early

    redis_server.kill()
    for client in [*clients, county_b, city]:
        client.slowest = 0.0  # from here on: the requests served while Redis is down

    with at(START + timedelta(minutes=2)):
        answers = []
        for client in clients[3:]:
            # Each on another web worker: none of them queued the recompute itself.
            scoring._queued_here.clear()
            answers.append(client.post("/attendance/check-in", check_in_body(activity)))
        approved = county_b.post(f"/activities/{plan.pk}/approve")
        distributed = city.post(f"/campaigns/{campaign.pk}/distribute")
        # The dashboards keep their trend in the cache.
        city_pages = Client(raise_request_exception=False)
        city_pages.force_login(
            world.city_admin, backend="django.contrib.auth.backends.ModelBackend"
        )
        started = time.monotonic()
        dashboard = city_pages.get(f"/console/dashboards/orgs/{world.city.pk}/")
        dashboard_s = time.monotonic() - started

    assert [a.status_code for a in answers] == [201] * len(answers), [
        a.content[:300] for a in answers if a.status_code != 201
    ]
    assert approved.status_code == 200, approved.content[:300]
    assert distributed.status_code in (200, 202), distributed.content[:300]
    assert dashboard.status_code == 200
    assert max(dashboard_s, *(c.slowest for c in [*clients, county_b, city])) < TIMEOUT_S
    assert AttendanceRecord.objects.filter(
        activity=activity, status=AttendanceStatus.CHECKED_IN
    ).count() == len(members)
    # Redis took nothing in: the approval's notice and the distribution are left undone.
    assert OutboundBatch.objects.filter(status=OutboundStatus.PENDING).exists()
    assert not PlanningTask.objects.filter(campaign=campaign).exists()

    redis_server.start()  # empty: what it held when it stopped is lost

    # Nobody clicks: the scheduled jobs (Celery beat, or `manage.py run_scheduled`) run.
    with at(START + timedelta(minutes=15)):
        scheduling.run_all()
    score = ActivityScore.objects.get(activity=activity)
    non_flowing = sum(1 for m in members if not m.is_flowing)
    assert (score.roster, score.checked_in_non_flowing) == (len(members), non_flowing)
    branches = {
        world.a.branch.pk,
        world.a.other_branch.pk,
        world.b.branch.pk,
        world.b.other_branch.pk,
    }
    assert set(PlanningTask.objects.filter(campaign=campaign).values_list("branch", flat=True)) == (
        branches
    )
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert campaign.distributed_at is not None

    # The notices of the approval and of the distribution reach their channel, however
    # many sweeps it takes the queued ones (no worker runs in this test).
    with at(START + timedelta(minutes=30)):
        scheduling.run_all()
    batches = OutboundBatch.objects.all()
    assert {b.status for b in batches} == {OutboundStatus.SENT}
    sent = [(n["kind"], n["user_id"]) for b in batches for n in b.payload["notices"]]
    assert len(sent) == len(set(sent))  # each notice handed to the channel once
    # "job": the distribution's end, told to the admin who clicked (notifications.jobs).
    assert {kind for kind, _user in sent} == {"plan_approved", "campaign", "job"}
    assert [user for kind, user in sent if kind == "job"] == [world.city_admin.pk]


def test_a_redis_that_hangs_costs_a_request_its_timeout_once_and_the_rest_nothing(world, on_redis):
    """Redis stops answering without closing its connections (SIGSTOP: a full disk, a host
    that froze): the first request that asks it gives up after the timeout, and the next
    ones don't ask it for a while."""
    redis_server = on_redis
    with at(NOW):
        campaign = make_campaign(world)
        activity = approve(world, world.a.branch, world.a.branch_admin, world.a.admin, campaign)
        for i in range(EXTRA_MEMBERS):
            make_member(world.city_admin, world.a.branch, name=f"支部党员{i}", password=None)
    members = list(Member.objects.filter(branch=world.a.branch, is_active=True).order_by("pk"))
    clients = [Api(m.user) for m in members]
    city_pages = Client(raise_request_exception=False)
    city_pages.force_login(world.city_admin, backend="django.contrib.auth.backends.ModelBackend")
    with at(START + timedelta(minutes=1)):
        assert clients[0].post("/attendance/check-in", check_in_body(activity)).status_code == 201
        assert city_pages.get(f"/console/dashboards/orgs/{world.city.pk}/").status_code == 200

    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        with at(START + timedelta(minutes=2)):
            waited = []
            for client in clients[1:]:
                scoring._queued_here.clear()  # each on another web worker
                client.slowest = 0.0
                answer = client.post("/attendance/check-in", check_in_body(activity))
                assert answer.status_code == 201, answer.content[:300]
                waited.append(client.slowest)
            started = time.monotonic()
            dashboard = city_pages.get(f"/console/dashboards/orgs/{world.city.pk}/")
            waited.append(time.monotonic() - started)
        assert dashboard.status_code == 200
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert max(waited) < TIMEOUT_S + 1  # the timeout, and the request's own work
    assert sum(1 for s in waited if s > 1) <= 1, waited

    with at(START + timedelta(minutes=15)):
        scheduling.run_all()
    score = ActivityScore.objects.get(activity=activity)
    assert score.checked_in_non_flowing == sum(1 for m in members if not m.is_flowing)
