"""Missing required items where superiors look: the campaign progress view and the spot
check's evidence page."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from dangjian.orglife import services
from dangjian.supervision.models import SpotCheck
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS
from tests.scoring.conftest import clock, make_activity  # noqa: F401


def html(response) -> str:
    return response.content.decode()


def test_the_progress_view_lists_a_held_activitys_missing_items(world, activity, after, page):
    services.record_item(
        actor=world.a.branch_admin, activity=activity, item="charter", is_done=True, text="诵读"
    )
    url = reverse("console:campaign_progress", args=[activity.campaign_id])
    body = html(page(world.a.admin).get(url, {"org": world.a.org.pk}))
    assert "缺项：缴纳党费、研学党规党情、落实组织生活、开展民主议事、实行民主公开" in body
    assert 'data-missing="5"' in body


@pytest.mark.usefixtures("clock")
def test_the_spot_check_evidence_shows_each_item_and_what_is_missing(world, page):
    activity = make_activity(world.a.branch, date(2026, 12, 1))
    activity.agenda = list(DEFAULT_REQUIRED_ITEMS)
    activity.save(update_fields=["agenda"])
    with time_machine.travel(activity.ends_at, tick=False):
        services.record_item(
            actor=world.a.branch_admin,
            activity=activity,
            item="deliberation",
            is_done=True,
            matters="村集体经济分红方案",
            decisions="表决通过",
        )
    county = page(world.a.admin)
    resp = county.post(
        f"/console/supervision/orgs/{world.a.org.pk}/",
        {"period": "2026-12", "percent": "100", "seed": "7"},
    )
    assert resp.status_code == 302
    assert SpotCheck.objects.exists()
    body = html(county.get(f"{resp.url}?branch={world.a.branch.pk}"))
    assert "缺 5 项" in body
    assert "村集体经济分红方案" in body and "表决通过" in body
