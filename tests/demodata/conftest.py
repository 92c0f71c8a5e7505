"""The full demo city, seeded once for a test module on NOW (test_demo_history,
test_demo_learning_year)."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from dangjian.demodata import seeding
from dangjian.registry.models import Organization

# A Tuesday early in a month: most of this month's theme days are held, some still to come.
NOW = datetime(2026, 12, 8, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The full demo seeded once on NOW, inside a transaction rolled back at the module's
    end; each test runs in a savepoint within it."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        time_machine.travel(NOW, tick=False),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed", "--scale", "demo", stdout=StringIO())
            yield Organization.objects.get_root_nodes().get(name=seeding.CITY_NAME)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def city(demo):
    with time_machine.travel(NOW, tick=False):
        yield demo
