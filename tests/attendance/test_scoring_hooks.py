"""Attendance is the largest input of an activity's score: check-ins, closing, approved
leave and corrections tell scoring, which recomputes after the commit (at once in the
embedded default; on a worker, debounced for check-ins, with a broker)."""

from datetime import timedelta

import pytest
from django.db import transaction

from dangjian.attendance import services
from dangjian.core.errors import DomainError
from dangjian.registry.models import Member
from dangjian.scoring import services as scoring
from dangjian.scoring import tasks
from dangjian.scoring.models import ActivityScore
from tests.attendance.conftest import (
    AFTER_END,
    CHECKOUT_CLOSES,
    DURING,
    SECOND,
    START,
    at,
    check_in,
    check_out,
)
from tests.conftest import COMMITTED

pytestmark = COMMITTED


@pytest.fixture
def broker(settings, monkeypatch) -> list:
    """As in production, a broker: the recomputes queued, as (args, countdown)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(
        tasks.recompute_activity_score,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )
    return queued


def sign_in(activity) -> tuple[int, str | None]:
    score = ActivityScore.objects.get(activity=activity)
    component = score.components["sign_in"]
    return score.checked_in_non_flowing, component and component["value"]


def test_a_check_in_after_the_start_scores_the_activity_at_once(world, activity):
    # Before the start nothing is held yet, so nothing is scored.
    with at(DURING):
        check_in(world.a.member.user, activity)
    assert not ActivityScore.objects.filter(activity=activity).exists()
    with at(START + timedelta(minutes=5)):
        check_in(world.a.branch_admin, activity)
    # Two of the two members who are not flowing have checked in.
    assert sign_in(activity) == (2, "100.00")
    assert ActivityScore.objects.get(activity=activity).is_closed is False


def test_closing_scores_the_activity_with_its_absences(world, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
    with at(AFTER_END):
        check_out(world.a.member.user, activity)
    with at(CHECKOUT_CLOSES + SECOND):
        assert services.close_due_activities() == 1
    score = ActivityScore.objects.get(activity=activity)
    assert score.is_closed
    # The branch admin never came: one of two.
    assert sign_in(activity) == (1, "50.00")


def test_an_approved_correction_rescores_a_closed_activity(world, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
    with at(CHECKOUT_CLOSES + SECOND):
        services.close_due_activities()
    assert sign_in(activity) == (1, "50.00")
    with at(CHECKOUT_CLOSES + timedelta(hours=2)):
        correction = services.propose_correction(
            actor=world.a.branch_admin,
            activity=activity,
            member=Member.objects.get(user=world.a.branch_admin),
            to_status="checked_out",
            reason="手机损坏，现场签到表为证",
        )
        services.approve_correction(actor=world.a.admin, correction=correction)
    assert sign_in(activity) == (2, "100.00")


def test_with_a_broker_a_burst_of_check_ins_queues_one_delayed_recompute(world, activity, broker):
    queued = broker
    with at(START + timedelta(minutes=1)):
        check_in(world.a.member.user, activity)
        check_in(world.a.branch_admin, activity)
        check_in(world.a.flowing.user, activity)
    assert queued == [((activity.pk,), scoring.DEBOUNCE_SECONDS)]
    # The queued task runs: it clears the mark and scores all three check-ins.
    with at(START + timedelta(minutes=1, seconds=scoring.DEBOUNCE_SECONDS)):
        tasks.recompute_activity_score(activity.pk)
    assert sign_in(activity) == (2, "100.00")
    # A later change queues the next recompute.
    with at(AFTER_END):
        check_out(world.a.member.user, activity)
    assert queued[1:] == [((activity.pk,), scoring.DEBOUNCE_SECONDS)]


def test_another_worker_rides_on_the_queued_recompute_after_one_look_at_its_mark(
    world, activity, broker, monkeypatch
):
    queued, looked = broker, []
    add = scoring.cache.add
    monkeypatch.setattr(scoring.cache, "add", lambda *a, **kw: looked.append(a[0]) or add(*a, **kw))
    with at(START + timedelta(minutes=1)):
        check_in(world.a.member.user, activity)
        # Another gunicorn worker: the mark is in the shared cache, not in its memory.
        scoring._queued_here.clear()
        check_in(world.a.branch_admin, activity)
        check_in(world.a.flowing.user, activity)
    assert queued == [((activity.pk,), scoring.DEBOUNCE_SECONDS)]
    assert looked == [scoring.pending_key(activity.pk)] * 2
    # Once the recompute starts, the next change queues another.
    with at(START + timedelta(minutes=1, seconds=scoring.DEBOUNCE_SECONDS)):
        tasks.recompute_activity_score(activity.pk)
    with at(AFTER_END):
        check_out(world.a.member.user, activity)
    assert queued[1:] == [((activity.pk,), scoring.DEBOUNCE_SECONDS)]


def test_a_refused_check_in_queues_nothing(world, activity, broker):
    queued = broker
    with at(START + timedelta(minutes=1)), pytest.raises(DomainError) as refused:
        check_in(world.a.member.user, activity, metres=1500)
    assert refused.value.code == "out_of_range"
    assert queued == []


def test_with_a_broker_a_change_inside_a_transaction_is_queued_only_when_it_commits(
    world, activity, broker
):
    queued = broker
    with transaction.atomic():
        scoring.inputs_changed(activity_id=activity.pk, debounce=True)
        transaction.set_rollback(True)
    assert queued == []
    with transaction.atomic():
        scoring.inputs_changed(activity_id=activity.pk, debounce=True)
        assert queued == []
    assert queued == [((activity.pk,), scoring.DEBOUNCE_SECONDS)]
