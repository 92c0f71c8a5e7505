"""The dashboards: drill down from the city to a member's attendance, links behind the
numbers, the xlsx export, and scope (a county admin never sees the other county)."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dangjian.registry.models import Member, Organization
from dangjian.scoring import selectors, services
from tests.scoring.conftest import NOW, attend, clock, make_activity  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)


@pytest.fixture
def december(world, clock):  # noqa: F811
    activity = make_activity(world.a.branch, DEC)
    attend(activity, world.a.member)
    services.recompute(org=world.city, period=selectors.parse_period("2026-12"))
    set_month(world.b.branch, DEC, 7000)
    return activity


def test_the_city_dashboard_drills_down_to_a_members_attendance(world, page, december):
    client = page(world.city_admin)
    resp = client.get("/console/dashboards/")
    assert resp.status_code == 302
    city = client.get(resp.url + "?period=2026-12")
    html = city.content.decode()
    assert city.status_code == 200
    assert 'data-chart="ranking"' in html and "echarts.min.js" in html
    # The counties, each linking to its own dashboard.
    assert f"/console/dashboards/orgs/{world.a.org.pk}/?period=2026-12" in html
    assert "汉台区" in html and "南郑区" in html
    county = client.get(f"/console/dashboards/orgs/{world.a.org.pk}/?period=2026-12")
    assert f"/console/dashboards/orgs/{world.a.town.pk}/?period=2026-12" in county.content.decode()
    town = client.get(f"/console/dashboards/orgs/{world.a.town.pk}/?period=2026-12")
    assert f"/console/dashboards/orgs/{world.a.branch.pk}/?period=2026-12" in town.content.decode()
    branch = client.get(f"/console/dashboards/orgs/{world.a.branch.pk}/?period=2026-12")
    assert f"/console/dashboards/activities/{december.pk}/" in branch.content.decode()
    activity = client.get(f"/console/dashboards/activities/{december.pk}/?show=checked_in")
    body = activity.content.decode()
    assert activity.status_code == 200
    assert world.a.member.name in body
    assert world.a.flowing.name not in body  # filtered to the non-flowing who checked in
    assert "?show=non_flowing#roster" in body  # the denominator links to its rows too


def test_numbers_link_to_the_rows_behind_them(world, page, december):
    client = page(world.city_admin)
    held = client.get(f"/console/dashboards/orgs/{world.city.pk}/ranking/?period=2026-12&held=1")
    assert held.status_code == 200
    text = held.content.decode()
    assert world.a.branch.name in text and world.b.other_branch.name not in text
    low = client.get(
        f"/console/dashboards/orgs/{world.city.pk}/ranking/?period=2026-12&min=0&max=10"
    )
    assert world.b.other_branch.name in low.content.decode()
    assert world.b.branch.name not in low.content.decode()  # 70 is in the 70–80 bucket
    stage = client.get(
        f"/console/dashboards/orgs/{world.city.pk}/ranking/?period=2026-12&stage=none"
    )
    assert world.a.branch.name not in stage.content.decode()


def test_any_ranking_exports_to_xlsx(world, page, december):
    resp = page(world.city_admin).get(
        f"/console/dashboards/orgs/{world.city.pk}/ranking.xlsx?period=2026-12&level=children"
    )
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    # Members' and branches' figures: no copy in a shared proxy or the browser cache.
    assert resp["Cache-Control"] == "no-store"
    assert resp["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = [r for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    # County B: (70 + 0) / 2 = 35; county A: (36.84 + 0) / 2 = 18.42.
    assert [(r[0], r[1], r[5]) for r in rows] == [(1, "南郑区", 35.0), (2, "汉台区", 18.42)]
    assert "汉中市" in ws["A1"].value and "2026-12" in ws["A1"].value


def test_a_county_admin_never_sees_the_other_county(world, page, december):
    client = page(world.a.admin)
    assert client.get(f"/console/dashboards/orgs/{world.b.org.pk}/").status_code == 404
    assert client.get(f"/console/dashboards/orgs/{world.city.pk}/").status_code == 404
    assert client.get(f"/console/dashboards/orgs/{world.b.branch.pk}/ranking/").status_code == 404
    assert client.get(f"/console/dashboards/orgs/{world.b.org.pk}/ranking.xlsx").status_code == 404
    own = client.get(f"/console/dashboards/orgs/{world.a.org.pk}/ranking/?period=2026-12")
    assert world.b.branch.name not in own.content.decode()
    b_activity = make_activity(world.b.branch, DEC)
    assert client.get(f"/console/dashboards/activities/{b_activity.pk}/").status_code == 404


def test_outsiders_and_members_are_kept_out(world, page, december):
    assert page(world.outsider).get("/console/dashboards/").status_code == 403
    assert (
        page(world.a.member.user).get(f"/console/dashboards/orgs/{world.a.branch.pk}/").status_code
        == 403
    )
    anonymous = page(None).get(f"/console/dashboards/orgs/{world.city.pk}/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.url


def test_a_bad_period_falls_back_to_the_current_month(world, page, december):
    resp = page(world.city_admin).get(f"/console/dashboards/orgs/{world.city.pk}/?period=2026-13")
    assert resp.status_code == 200
    assert "2027-01" in resp.content.decode()


def test_quarter_and_year_dashboards(world, page, december):
    client = page(world.city_admin)
    for period in ("2026-Q4", "2026"):
        assert (
            client.get(f"/console/dashboards/orgs/{world.city.pk}/?period={period}").status_code
            == 200
        )
        assert (
            client.get(f"/console/dashboards/orgs/{world.a.branch.pk}/?period={period}").status_code
            == 200
        )


def test_the_roster_filters_count_as_attended_what_the_score_counts(world, page, clock):  # noqa: F811
    activity = make_activity(world.a.branch, DEC)
    secretary = Member.objects.get(user=world.a.branch_admin)
    attend(activity, world.a.member, "not_checked_out")
    attend(activity, secretary, "absent")
    client = page(world.city_admin)
    url = f"/console/dashboards/activities/{activity.pk}/"
    came = client.get(url + "?show=checked_in").content.decode()
    assert world.a.member.name in came and secretary.name not in came
    missing = client.get(url + "?show=not_checked_in").content.decode()
    assert secretary.name in missing and world.a.member.name not in missing
    assert selectors.score_of(activity).inputs.checked_in_non_flowing == 1


def test_categories_that_look_like_formulas_or_hold_control_characters_export_as_text(
    world, page, december
):
    Organization.objects.filter(pk=world.a.org.pk).update(category="=2+3")
    Organization.objects.filter(pk=world.b.org.pk).update(category="\x1b五星")

    resp = page(world.city_admin).get(
        f"/console/dashboards/orgs/{world.city.pk}/ranking.xlsx?period=2026-12&level=children"
    )

    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = {r[1].value: r for r in ws.iter_rows() if isinstance(r[0].value, int)}
    assert (rows["汉台区"][4].value, rows["汉台区"][4].data_type) == ("=2+3", "s")
    assert rows["南郑区"][4].value == "五星"
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_the_city_dashboard_shows_the_kept_activation_rate_with_its_time(world, page, december):
    client = page(world.city_admin)
    city = client.get(f"/console/dashboards/orgs/{world.city.pk}/?period=2026-12").content.decode()
    assert 'data-kpi="activation">100.0%<' in city
    assert "已激活6人 / 共6人，统计于" in city
    branch = client.get(f"/console/dashboards/orgs/{world.a.branch.pk}/?period=2026-12")
    assert "统计于" not in branch.content.decode()  # a branch's is counted live
    assert page(world.outsider).get(f"/console/dashboards/orgs/{world.city.pk}/").status_code in (
        302,
        403,
        404,
    )
