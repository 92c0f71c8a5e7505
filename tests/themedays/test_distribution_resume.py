"""A distribution clicked while Redis is down (its task never queued), or whose worker died
with it, is run again by the scheduler once it has been unfinished for a while."""

import pytest

from dangjian import celery
from dangjian.themedays import selectors, services, tasks
from dangjian.themedays.models import Campaign, PlanningTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    eager = celery.app.conf.task_always_eager
    celery.app.conf.task_always_eager = False

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.distribute_campaign, "apply_async", refused)
    celery.reset()
    yield
    celery.reset()
    celery.app.conf.task_always_eager = eager


def test_a_distribution_clicked_while_the_broker_is_down_is_resumed_by_the_scheduler(
    world, campaign, clock, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.request_distribution(actor=world.city_admin, campaign=campaign)
    assert result["already_distributed"] is False
    campaign.refresh_from_db()
    assert selectors.distribution_status(campaign) == "queued"
    assert not PlanningTask.objects.exists()

    assert services.resume_distributions() == 0  # its task might still be on its way
    clock.shift(services.DISTRIBUTION_RESUME_AFTER)
    assert services.resume_distributions() == 1
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert selectors.distribution_status(campaign) == "done"
    assert PlanningTask.objects.filter(campaign=campaign).count() == 4
    assert services.resume_distributions() == 0
