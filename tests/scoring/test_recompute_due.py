"""With a broker, a recompute is marked due in the database until it starts, so that a Redis
that is down (the cache and the broker) or that lost the queued task delays the recompute
until the scheduled sweep instead of failing the writer or losing the change."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import override_settings

from dangjian import celery
from dangjian.scoring import services, tasks
from dangjian.scoring.models import ActivityScore, RecomputeDue
from tests.scoring.conftest import attend, make_activity

pytestmark = pytest.mark.django_db

DEC = date(2026, 12, 1)
# Nothing listens on port 1: a Redis that is down.
DOWN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}
DUE_AFTER = timedelta(seconds=services.DEBOUNCE_SECONDS + services.DUE_GRACE_SECONDS)


@pytest.fixture
def broker(settings, monkeypatch) -> list:
    """A broker that takes the recomputes (as (args, countdown)) and never runs them."""
    # Read before the settings change: Celery reads them when its configuration is first used.
    eager = celery.app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery.app.conf.task_always_eager = False
    queued = []
    monkeypatch.setattr(
        tasks.recompute_activity_score,
        "apply_async",
        lambda args, countdown=None: queued.append((args, countdown)),
    )
    services._queued_here.clear()
    celery.reset()
    yield queued
    services._queued_here.clear()
    celery.reset()
    celery.app.conf.task_always_eager = eager


def checked_in(activity) -> int:
    return ActivityScore.objects.get(activity=activity).checked_in_non_flowing


def test_with_the_cache_down_a_check_in_change_is_marked_due_and_the_sweep_recomputes_it(
    world, clock, broker, django_capture_on_commit_callbacks
):
    activity = make_activity(world.a.branch, DEC)
    services.recompute_activity(activity.pk)
    with override_settings(CACHES=DOWN_REDIS), django_capture_on_commit_callbacks(execute=True):
        attend(activity, world.a.member, "checked_out")
        services.inputs_changed(activity_id=activity.pk, debounce=True)
    # Nothing queued (the broker is the same Redis), nothing raised: marked due.
    assert broker == []
    assert RecomputeDue.objects.filter(activity=activity).exists()
    assert checked_in(activity) == 0

    assert services.recompute_due() == 0  # its queued task would still be running on time
    clock.shift(DUE_AFTER)
    assert services.recompute_due() == 1
    assert checked_in(activity) == 1
    assert not RecomputeDue.objects.exists()


def test_a_queued_recompute_that_redis_lost_is_done_by_the_sweep(
    world, clock, broker, django_capture_on_commit_callbacks
):
    activity = make_activity(world.a.branch, DEC)
    services.recompute_activity(activity.pk)
    with django_capture_on_commit_callbacks(execute=True):
        attend(activity, world.a.member, "checked_out")
        services.inputs_changed(activity_id=activity.pk, debounce=True)
    assert broker == [((activity.pk,), services.DEBOUNCE_SECONDS)]
    # Redis stops: the task never runs.
    clock.shift(DUE_AFTER)
    assert services.recompute_due() == 1
    assert checked_in(activity) == 1


def test_a_recompute_that_starts_clears_its_mark(
    world, clock, broker, django_capture_on_commit_callbacks
):
    activity = make_activity(world.a.branch, DEC)
    with django_capture_on_commit_callbacks(execute=True):
        services.inputs_changed(activity_id=activity.pk)
    assert broker == [((activity.pk,), None)]
    assert RecomputeDue.objects.filter(activity=activity).exists()
    tasks.recompute_activity_score(activity.pk)
    assert not RecomputeDue.objects.exists()
    clock.shift(DUE_AFTER)
    assert services.recompute_due() == 0


def test_a_change_rolled_back_leaves_no_mark(world, clock, broker):
    activity = make_activity(world.a.branch, DEC)
    with transaction.atomic():
        services.inputs_changed(activity_id=activity.pk)
        transaction.set_rollback(True)
    assert not RecomputeDue.objects.exists()
