"""What the path past a province relies on (docs/scaling.md, "Past a province: Citus"):
every table has a class, every distributed table reaches its city through its keys, no key
joins rows of two cities, and a member's and a county's requests stay on one city's shard
but for the check-in's look-up by QR token. Cities here are the world's two counties, the
first level under the root (bench/shards.py)."""

import sys
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from dangjian.attendance import checkin
from dangjian.interaction import services as interaction
from dangjian.registry.models import Organization
from tests.attendance.conftest import DURING, NOW, START, approve, at, make_campaign, near

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import shards  # noqa: E402

pytestmark = pytest.mark.django_db


def _analyzer():
    tables = shards.classify_tables()
    dialect = {"postgresql": "postgres"}.get(connection.vendor, connection.vendor)
    return shards.Analyzer(tables, shards.Cities(tables), dialect)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def held(world, clock):
    """Both counties' branches with an approved theme day, checked in and commented on."""
    campaign = make_campaign(world)
    activities = {}
    for county in (world.a, world.b):
        activity = approve(world, county.branch, county.branch_admin, county.admin, campaign)
        with at(DURING):
            lat, lon = near(20)
            checkin.check_in(
                actor=county.member.user,
                token=activity.checkin_token,
                latitude=lat,
                longitude=lon,
                accuracy_m=15,
            )
        with at(START.replace(hour=12)):
            interaction.post_comment(actor=county.member.user, activity=activity, body="很有收获。")
        activities[county.org.pk] = activity
    return activities


def test_every_table_is_classed_and_every_distributed_one_reaches_its_city():
    tables = shards.classify_tables()
    unclassed = [
        t.table
        for t in tables.values()
        if t.route is None and t.table not in shards.REFERENCE | shards.LOCAL
    ]
    # A new table with no key to an organization must be classed by hand: reference
    # (small, read everywhere) or local (found by an account or a key).
    assert unclassed == []
    distributed = [t for t in tables.values() if t.kind == "distributed"]
    assert {"attendance_checkinattempt", "attendance_attendancerecord", "registry_member"} <= {
        t.table for t in distributed
    }
    assert all(t.route and t.route.endswith("path") for t in distributed)


def test_no_key_between_distributed_rows_joins_two_cities(world, held):
    tables = shards.classify_tables()
    models = shards.models_by_table()
    checked = crossing = 0
    for table in (t for t in tables.values() if t.kind == "distributed"):
        model = models[table.table]
        for f in model._meta.concrete_fields:
            target = f.related_model._meta.db_table if f.is_relation else None
            if target is None or (table.table, f.column) in shards.NOT_CITY_KEYS:
                continue
            if target != shards.ORG and tables[target].kind != "distributed":
                continue
            there = (
                f"{f.name}__path" if target == shards.ORG else f"{f.name}__{tables[target].route}"
            )
            for own, other in model._base_manager.exclude(**{f.name: None}).values_list(
                table.route, there
            ):
                checked += 1
                crossing += shards.city_of_path(own) != shards.city_of_path(other)
    assert checked > 20
    assert crossing == 0


def test_a_members_and_a_countys_statements_stay_on_their_city_but_the_qr_look_up(
    world, held, api, clock
):
    analyzer = _analyzer()
    activity = held[world.a.org.pk]
    member = api(world.a.member.user)
    county = api(world.a.admin)
    with shards.Capture() as capture:
        with at(START.replace(hour=12)):
            lat, lon = near(20)
            where = {"token": activity.checkin_token, "latitude": lat, "longitude": lon}
            assert member.post("/attendance/check-out", {**where, "accuracy_m": 15}).status_code
            posted = member.post(f"/activities/{activity.pk}/comments", {"body": "再学一遍。"})
            assert posted.status_code == 201
        assert member.get(f"/activities/{activity.pk}/comments").status_code == 200
        assert county.get(f"/activities/{activity.pk}/attendance").status_code == 200
        ranking = county.get(f"/orgs/{world.a.org.pk}/ranking?period=2026-12")
        assert ranking.status_code == 200
    verdicts = [analyzer.verdict(sql) for sql in capture.statements]
    city = shards.city_of_path(Organization.objects.get(pk=world.a.org.pk).path)
    single = [v for v in verdicts if v.kind == "single"]
    multi = [v for v in verdicts if v.kind in ("multi", "unparsed")]
    assert len(single) > 10
    assert {v.city for v in single} == {city}
    # The check-in's and check-out's facts find the activity by its QR token and the
    # member by the key's account: under Citus the token must carry the city.
    assert [v for v in multi if "checkin_token" not in v.sql] == []
    assert len(multi) == 1


def test_the_root_admins_ranking_spans_every_city(world, held, api):
    analyzer = _analyzer()
    with shards.Capture() as capture:
        answer = api(world.city_admin).get(f"/orgs/{world.city.pk}/ranking?period=2026-12")
        assert answer.status_code == 200
    verdicts = [analyzer.verdict(sql) for sql in capture.statements]
    assert any(v.kind == "multi" and "scoring_branchperiodscore" in v.distributed for v in verdicts)
