"""PATCH and DELETE of a campaign, and DELETE of its attachment, before it is sent: 409
campaign_already_distributed afterwards; another county's admin and the outsider get 404."""

from datetime import timedelta

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.themedays.models import Campaign, CampaignAttachment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CAMPAIGN = {
    "month": "2026-12",
    "theme": "汉台区十二月主题",
    "guidance": "围绕主题开展学习研讨",
    "holding_from": "2026-12-01",
    "holding_until": "2026-12-20",
}


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture
def clock():
    from tests.themedays.conftest import NOW

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def campaign_id(world, api, clock):
    resp = api(world.a.admin).post("/campaigns", {"org_id": world.a.org.pk, **CAMPAIGN})
    assert resp.status_code == 201, resp.content
    return resp.json()["id"]


@pytest.fixture
def attachment_id(world, campaign_id):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.themedays import services

    upload = SimpleUploadedFile("图解.png", PNG, content_type="image/png")
    return services.add_campaign_attachment(
        actor=world.a.admin,
        campaign=Campaign.objects.get(pk=campaign_id),
        file=upload,
        name="图解.png",
    ).pk


def test_patch_changes_only_the_fields_sent(world, api, campaign_id):
    resp = api(world.a.admin).patch(
        f"/campaigns/{campaign_id}", {"theme": "改过的主题", "holding_until": "2026-12-25"}
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["theme"], body["holding_until"]) == ("改过的主题", "2026-12-25")
    assert body["guidance"] == "围绕主题开展学习研讨"
    assert AuditEntry.objects.filter(action="campaign.update").count() == 1


def test_a_bad_patch_is_422_on_its_field(world, api, campaign_id):
    resp = api(world.a.admin).patch(f"/campaigns/{campaign_id}", {"holding_until": "2026-11-01"})
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["field"] == "holding_until"


def test_delete_removes_the_campaign_and_its_attachments(world, api, campaign_id, attachment_id):
    resp = api(world.a.admin).delete(f"/campaigns/{campaign_id}")
    assert resp.status_code == 204
    assert not Campaign.objects.filter(pk=campaign_id).exists()
    assert not CampaignAttachment.objects.filter(pk=attachment_id).exists()
    assert api(world.a.admin).get(f"/campaigns/{campaign_id}").status_code == 404


def test_an_attachment_is_deleted(world, api, campaign_id, attachment_id):
    client = api(world.a.admin)
    assert client.delete(f"/campaigns/{campaign_id}/attachments/{attachment_id}").status_code == 204
    assert client.get(f"/campaigns/{campaign_id}").json()["attachments"] == []
    assert client.delete(f"/campaigns/{campaign_id}/attachments/{attachment_id}").status_code == 404


def test_after_distribution_each_is_409_campaign_already_distributed(
    world, api, campaign_id, attachment_id
):
    client = api(world.a.admin)
    assert client.post(f"/campaigns/{campaign_id}/distribute").status_code in (200, 202)
    for resp in (
        client.patch(f"/campaigns/{campaign_id}", {"theme": "改"}),
        client.delete(f"/campaigns/{campaign_id}"),
        client.delete(f"/campaigns/{campaign_id}/attachments/{attachment_id}"),
    ):
        assert resp.status_code == 409
        assert resp.json()["code"] == "campaign_already_distributed"
    assert Campaign.objects.filter(pk=campaign_id, theme="汉台区十二月主题").exists()
    assert CampaignAttachment.objects.filter(pk=attachment_id).exists()


def test_a_campaign_with_a_branchs_plan_is_409_campaign_in_use(world, api, campaign_id):
    from dangjian.themedays import services
    from tests.themedays.conftest import plan_kwargs

    services.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=Campaign.objects.get(pk=campaign_id),
        **plan_kwargs(),
    )
    resp = api(world.a.admin).delete(f"/campaigns/{campaign_id}")
    assert resp.status_code == 409
    assert resp.json()["code"] == "campaign_in_use"


@pytest.mark.parametrize("who", ["other_county", "outsider"])
def test_another_countys_admin_and_the_outsider_get_404(
    world, api, campaign_id, attachment_id, who
):
    client = api(world.b.admin if who == "other_county" else world.outsider)
    for resp in (
        client.patch(f"/campaigns/{campaign_id}", {"theme": "改"}),
        client.delete(f"/campaigns/{campaign_id}"),
        client.delete(f"/campaigns/{campaign_id}/attachments/{attachment_id}"),
    ):
        assert resp.status_code == 404
        assert resp.json()["code"] == "not_found"
    assert Campaign.objects.filter(pk=campaign_id, theme="汉台区十二月主题").exists()
    assert CampaignAttachment.objects.filter(pk=attachment_id).exists()


def test_a_member_may_read_the_campaign_but_not_change_it(world, api, campaign_id):
    client = api(world.a.member.user)
    assert client.get(f"/campaigns/{campaign_id}").status_code == 200
    assert client.patch(f"/campaigns/{campaign_id}", {"theme": "改"}).status_code == 403
    assert client.delete(f"/campaigns/{campaign_id}").status_code == 403


def test_anonymous_is_401(api, campaign_id):
    assert api(None).delete(f"/campaigns/{campaign_id}").status_code == 401
