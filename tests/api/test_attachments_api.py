"""The `url` of every attachment the API lists downloads it: scope-checked like what it is
attached to (missing and out of scope answer the same 404), streamed from the storage
with the type recognised at upload."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dangjian.supervision import services as supervision
from dangjian.themedays import services as themedays
from tests.attendance.conftest import NOW
from tests.conftest import token_for

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a campaign's guide\n" + b"0" * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.API_TOKEN_TTL = timedelta(days=60)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def county_campaign(world):
    """Issued by county a to its subtree: county b's people do not read it."""
    campaign = themedays.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        theme="学习贯彻党的二十届四中全会精神",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    themedays.add_campaign_attachment(
        actor=world.a.admin,
        campaign=campaign,
        file=SimpleUploadedFile("学习指南.pdf", PDF, content_type="application/pdf"),
        name="学习指南.pdf",
    )
    return campaign


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {token_for(user)}"} if user else {}


def download(url: str, user):
    return Client().get(url, headers=bearer(user))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def attachment_url(world, api, campaign) -> str:
    listed = api(world.a.member.user).get(f"/campaigns/{campaign.pk}")
    assert listed.status_code == 200, listed.content
    (attachment,) = listed.json()["attachments"]
    assert attachment["name"] == "学习指南.pdf"
    return attachment["url"]


def test_a_campaigns_attachment_url_downloads_the_file_for_those_it_is_addressed_to(
    world, api, clock
):
    url = attachment_url(world, api, county_campaign(world))
    assert url.startswith("/api/v1/") and "/media/" not in url
    for user in (world.a.member.user, world.a.branch_admin, world.a.admin, world.city_admin):
        response = download(url, user)
        assert response.status_code == 200, (user, response.content)
        assert body(response) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]
        assert "filename*=utf-8''" in response["Content-Disposition"]


def test_a_campaigns_attachment_is_not_found_outside_its_scope_or_when_missing(world, api, clock):
    url = attachment_url(world, api, county_campaign(world))
    parts = url.split("/")
    missing = "/".join([*parts[:-2], "999999", parts[-1]])
    for user in (world.outsider, world.b.admin, world.b.member.user):
        for path in (url, missing):
            response = download(path, user)
            assert response.status_code == 404, (user, path)
            assert response.json()["code"] == "not_found"
    assert download(missing, world.a.member.user).json() == download(url, world.outsider).json()
    assert download(url, None).status_code == 401


def test_a_rectifications_attachment_is_downloaded_by_the_admins_over_its_branch(world, api, clock):
    rectification = supervision.open_rectification(
        actor=world.a.admin,
        branch=world.a.branch,
        title="活动记录不完整",
        requirement="补充会议记录",
        deadline=NOW.date() + timedelta(days=3),
    )
    supervision.answer_rectification(
        actor=world.a.branch_admin,
        rectification=rectification,
        text="已补充",
        files=[SimpleUploadedFile("记录.png", PNG, content_type="image/png")],
    )
    detail = api(world.a.admin).get(f"/rectifications/{rectification.pk}").json()
    (attachment,) = detail["events"][-1]["attachments"]
    url = attachment["url"]
    assert url.startswith("/api/v1/") and "/media/" not in url
    for user in (world.a.branch_admin, world.a.admin, world.city_admin):
        response = download(url, user)
        assert response.status_code == 200, user
        assert (body(response), response["Content-Type"]) == (PNG, "image/png")
        assert response["Cache-Control"] == "private, no-store"
    for user in (world.a.member.user, world.outsider, world.b.admin, world.b.member.user):
        assert download(url, user).status_code == 404, user


def test_attachments_are_read_through_the_storage_not_from_a_path_on_disk(
    world, api, clock, settings
):
    # An S3-compatible bucket has no local path either: the download streams what the
    # configured storage opens.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    url = attachment_url(world, api, county_campaign(world))
    response = download(url, world.a.member.user)
    assert response.status_code == 200
    assert body(response) == PDF
