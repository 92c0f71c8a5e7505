"""The scheduled jobs' once-per-slot guard (core.scheduling): which slot a moment falls in,
and what Celery beat is told to send. No database."""

import pytest

from dangjian.celery import app
from dangjian.core import scheduling


@pytest.mark.parametrize(
    ("epoch_seconds", "period", "slot"),
    [
        (0, 60, 0),
        (59.999, 60, 0),
        (60, 60, 1),
        (1_796_000_410.5, 60, 29_933_340),
        (1_796_000_459.9, 60, 29_933_340),  # a second beat's tick 49 s later: same slot
        (1_796_000_460.0, 60, 29_933_341),
        (1_796_000_410.5, 600, 2_993_334),
        (1_796_000_999.0, 600, 2_993_334),
        (1_796_001_000.0, 600, 2_993_335),
        (1_796_000_410.5, 3600, 498_889),
    ],
)
def test_a_moment_falls_in_the_slot_of_whole_periods_since_the_epoch(epoch_seconds, period, slot):
    assert scheduling.slot(epoch_seconds, period) == slot


def test_the_slot_key_names_the_job_and_its_slot():
    assert scheduling.slot_key("close-due-activities", 29_933_340) == (
        "scheduled:close-due-activities:29933340"
    )


def test_beat_sends_every_job_through_the_guard_with_its_name_and_period():
    schedule = scheduling.beat_schedule()
    assert set(schedule) == set(scheduling.JOBS)
    for name, (_path, period) in scheduling.JOBS.items():
        assert schedule[name] == {
            "task": "dangjian.core.tasks.run_scheduled_job",
            "schedule": float(period),
            "args": (name,),
        }
    # What a worker does as it starts: the installed apps' task modules, autodiscovered.
    app.loader.import_default_modules()
    assert "dangjian.core.tasks.run_scheduled_job" in app.tasks
