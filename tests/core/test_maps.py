"""The plan editor's venue map (core/templatetags/maps.py) as the server renders it: no map
and no map script without AMAP_KEY; with one, the picker names MAP_JS_URL with the key and
opens on the venue in the form, brought to GCJ-02. The map in a real browser, against a
local stand-in for Amap's API: tests/browser/test_venue_map.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core import coords
from dangjian.core.templatetags import maps
from dangjian.themedays import services
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    return services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{today:%Y-%m}",
        theme="学习贯彻全会精神",
        holding_from=today,
        holding_until=today + timedelta(days=5),
    )


def plan_page(world, campaign, client) -> str:
    client.force_login(world.a.branch_admin)
    url = reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_without_a_key_the_plan_editor_has_no_map_and_loads_no_map_script(
    world, campaign, client, settings
):
    settings.AMAP_KEY = ""

    body = plan_page(world, campaign, client)

    assert "使用我的当前位置" in body and 'name="venue_address"' in body
    assert "data-map-picker" not in body
    assert "amap" not in body.lower() and "mappicker.js" not in body


def test_with_a_key_the_picker_loads_the_configured_script_with_the_key(
    world, campaign, client, settings
):
    settings.AMAP_KEY = "k+1/x"
    settings.AMAP_SECURITY_JS_CODE = "sec-code"
    settings.MAP_JS_URL = "https://maps.example.cn/maps?v=2.0&key={key}"

    body = plan_page(world, campaign, client)

    assert 'data-src="https://maps.example.cn/maps?v=2.0&amp;key=k%2B1%2Fx"' in body
    assert 'data-security-code="sec-code"' in body
    assert 'data-lat="id_latitude" data-lon="id_longitude" data-system="id_coord_system"' in body
    assert "mappicker.js" in body
    assert "data-centre" not in body  # a new plan has no venue yet


def test_the_map_opens_on_the_stored_venue_in_gcj02(world, campaign, client, settings):
    settings.AMAP_KEY = "key"
    start = timezone.localtime() + timedelta(days=1)
    activity = services.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=campaign,
        title="主题党日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude=33.0678,
        longitude=107.0234,
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    client.force_login(world.a.branch_admin)

    body = client.get(reverse("mobile:plan_edit", args=[activity.pk])).content.decode()

    gcj = coords.from_wgs84(float(activity.latitude), float(activity.longitude), coords.GCJ02)
    assert f'data-centre="{gcj[1]:.6f},{gcj[0]:.6f}"' in body
    assert abs(gcj[0] - 33.0678) > 1e-3  # Hanzhong is shifted, the conversion did something


def test_the_outsider_sees_no_plan_editor_and_no_map(world, campaign, client, settings):
    settings.AMAP_KEY = "key"
    client.force_login(world.outsider)

    response = client.get(reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk]))

    assert response.status_code == 404
    assert "data-map-picker" not in response.content.decode()


def test_the_script_address_is_empty_without_a_key(settings):
    settings.AMAP_KEY = "  "
    assert maps.map_script_url() == ""
    settings.AMAP_KEY = "abc"
    assert maps.map_script_url() == "https://webapi.amap.com/maps?v=2.0&key=abc"
