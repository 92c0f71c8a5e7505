"""An approved theme day of county A's branch (December 2026, held on the 10th), as the
activity record's tests have it; its agenda holds the six required items."""

from datetime import timedelta

import pytest
import time_machine

from tests.interaction.conftest import approved_activity, use_tmp_media
from tests.themedays.conftest import DAY

AFTER = DAY + timedelta(hours=5)  # the theme day is over


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def activity(world):
    return approved_activity(world)


@pytest.fixture
def after():
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller
