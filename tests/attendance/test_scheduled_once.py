"""A scheduled job runs once per slot of its period however many beats ask for it
(core.scheduling.run_job): the second run in the slot is skipped and logged."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command

from dangjian.audit.models import AuditEntry
from dangjian.core import scheduling
from dangjian.core.tasks import run_scheduled_job
from dangjian.themedays.models import ActivityStatus
from tests.attendance.conftest import CHECKOUT_CLOSES, at

pytestmark = pytest.mark.django_db

# CHECKOUT_CLOSES is a whole minute: these two moments share a 60-second slot.
FIRST_TICK = CHECKOUT_CLOSES + timedelta(seconds=5)
SECOND_BEATS_TICK = CHECKOUT_CLOSES + timedelta(seconds=50)


def test_a_second_run_in_the_same_slot_does_nothing_and_is_logged_as_skipped(
    world, activity, caplog
):
    with at(FIRST_TICK):
        assert run_scheduled_job("close-due-activities") == 1  # as the worker runs it
    with at(SECOND_BEATS_TICK), caplog.at_level(logging.INFO, logger="dangjian.core.scheduling"):
        assert run_scheduled_job("close-due-activities") == scheduling.SKIPPED
    assert "scheduled job close-due-activities skipped" in caplog.text
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.CLOSED
    assert AuditEntry.objects.filter(action="activity.close").count() == 1


def test_the_next_slot_runs_the_job_again(world, activity):
    with at(FIRST_TICK):
        assert scheduling.run_job("close-due-activities") == 1
    with at(FIRST_TICK + timedelta(seconds=60)):
        assert scheduling.run_job("close-due-activities") == 0


def test_a_job_of_a_longer_period_waits_for_its_own_slot(world):
    hour = CHECKOUT_CLOSES  # a whole hour too
    with at(hour + timedelta(minutes=1)):
        assert scheduling.run_job("forget-old-sms-codes") == 0
    with at(hour + timedelta(minutes=59)):
        assert scheduling.run_job("forget-old-sms-codes") == scheduling.SKIPPED
    with at(hour + timedelta(minutes=61)):
        assert scheduling.run_job("forget-old-sms-codes") == 0


def test_run_scheduled_twice_in_a_slot_prints_the_second_as_skipped(world, activity):
    first, second = io.StringIO(), io.StringIO()
    with at(FIRST_TICK):
        call_command("run_scheduled", stdout=first)
    with at(SECOND_BEATS_TICK):
        call_command("run_scheduled", stdout=second)
    assert "close-due-activities: 1" in first.getvalue()
    assert f"close-due-activities: {scheduling.SKIPPED}" in second.getvalue()
    assert AuditEntry.objects.filter(action="activity.close").count() == 1
