"""The quarterly bulletin in the back office: generated from the form, previewed, published,
its PDF opened, corrected by a new version; drafts kept from other scopes, published ones
read by the subtree, and nothing for members without an admin role or outsiders."""

from datetime import date

import pytest
from django.test import TestCase

from dangjian.notifications.models import Job
from dangjian.supervision.models import Bulletin, BulletinStatus
from tests.scoring.conftest import clock  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scored(world, clock):  # noqa: F811
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        set_month(world.a.branch, month, 9000)
        set_month(world.b.branch, month, 6000)
    return world


def generate(client, org, period="2026-Q4"):
    """The form's click; its job (tests/supervision/test_bulletin_jobs.py) runs on commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/console/supervision/bulletins/", {"org": org.pk, "period": period})


def test_the_city_admin_generates_previews_publishes_and_opens_the_pdf(scored, page):
    world = scored
    city = page(world.city_admin)
    listing = city.get("/console/supervision/bulletins/").content.decode()
    assert "2026-Q4" in listing  # the last quarter is offered
    resp = generate(city, world.city)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    bulletin = Bulletin.objects.get()
    url = f"/console/supervision/bulletins/{bulletin.pk}/"
    assert resp.url == f"/console/jobs/{Job.objects.get().pk}/"
    assert f'href="{url}"' in city.get(resp.url).content.decode()
    preview = city.get(url).content.decode()
    assert "汉中市 2026 年第 4 季度党建工作通报" in preview
    assert "汉台区" in preview and "南郑区" in preview
    assert city.post(f"{url}publish/").status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.PUBLISHED
    pdf = city.get(f"/console/supervision/bulletins/{bulletin.pk}/files/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert city.get(f"/console/supervision/bulletins/{bulletin.pk}/files/xlsx/").status_code == 200


def test_a_published_bulletin_is_corrected_by_a_new_version_from_its_page(scored, page):
    world = scored
    city = page(world.city_admin)
    generate(city, world.city)
    v1 = Bulletin.objects.get()
    city.post(f"/console/supervision/bulletins/{v1.pk}/publish/")
    # The draft's steps are refused once published.
    city.post(f"/console/supervision/bulletins/{v1.pk}/regenerate/")
    assert Bulletin.objects.count() == 1
    refused = generate(city, world.city)
    assert "已发布" in refused.content.decode()
    resp = city.post(f"/console/supervision/bulletins/{v1.pk}/correct/", {"reason": "数据更正"})
    v2 = Bulletin.objects.get(version=2)
    assert resp.url == f"/console/supervision/bulletins/{v2.pk}/"
    assert "取代第 1 版" in city.get(resp.url).content.decode()
    city.post(f"/console/supervision/bulletins/{v2.pk}/publish/")
    v1.refresh_from_db()
    assert v1.status == BulletinStatus.SUPERSEDED


def test_a_county_admin_sees_the_city_bulletin_only_once_published(scored, page):
    world = scored
    city = page(world.city_admin)
    generate(city, world.city)
    bulletin = Bulletin.objects.get()
    county = page(world.a.admin)
    detail = f"/console/supervision/bulletins/{bulletin.pk}/"
    assert county.get(detail).status_code == 404
    assert county.get(f"{detail}files/pdf/").status_code == 404
    assert county.post(f"{detail}publish/").status_code == 404
    city.post(f"{detail}publish/")
    page_ = county.get(detail)
    assert page_.status_code == 200
    assert "生成更正稿" not in page_.content.decode()
    assert county.post(f"{detail}correct/", {"reason": "x"}).status_code == 403
    assert bulletin.title in county.get("/console/supervision/bulletins/").content.decode()


def test_a_county_admin_generates_only_for_their_county(scored, page):
    world = scored
    county = page(world.a.admin)
    assert generate(county, world.city).status_code == 200  # not a choice of the form
    assert not Bulletin.objects.exists()
    assert generate(county, world.a.org).status_code == 302
    assert Bulletin.objects.get().org == world.a.org
    other = page(world.b.admin)
    assert (
        other.get(f"/console/supervision/bulletins/{Bulletin.objects.get().pk}/").status_code == 404
    )


def test_members_outsiders_and_strangers_get_nothing(scored, page):
    world = scored
    generate(page(world.city_admin), world.city)
    bulletin = Bulletin.objects.get()
    for user in (world.a.member.user, world.outsider):
        client = page(user)
        assert client.get("/console/supervision/bulletins/").status_code == 403
        assert client.get(f"/console/supervision/bulletins/{bulletin.pk}/").status_code == 403
    anonymous = page(None).get(f"/console/supervision/bulletins/{bulletin.pk}/files/pdf/")
    assert anonymous.status_code == 302 and "/login" in anonymous.url


def test_the_list_page_costs_the_same_queries_for_more_bulletins(scored, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = scored
    city = page(world.city_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert city.get("/console/supervision/bulletins/").status_code == 200
        return len(captured)

    generate(city, world.city, "2026-Q3")
    few = queries()
    for org in (world.city, world.a.org, world.b.org):
        generate(city, org)
    assert Bulletin.objects.count() == 4
    assert queries() == few
