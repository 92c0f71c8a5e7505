"""The back office's edit form, delete confirmation and attachment removal of a campaign
not yet sent; once sent the page offers none of them and the URLs refuse in Chinese.
Another county's admin and the outsider find nothing."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.themedays import services
from dangjian.themedays.models import Campaign, CampaignAttachment
from tests.themedays.conftest import NOW

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def county_campaign(world, clock):
    return services.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        theme="汉台区十二月主题",
        guidance="围绕主题学习",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )


@pytest.fixture
def attachment(world, county_campaign):
    upload = SimpleUploadedFile("图解.png", PNG, content_type="image/png")
    return services.add_campaign_attachment(
        actor=world.a.admin, campaign=county_campaign, file=upload, name="图解.png"
    )


def edit_post(**overrides) -> dict:
    data = {
        "month": "2026-12",
        "theme": "改过的主题",
        "guidance": "改过的指引",
        "required_items": "学习\n讨论",
        "optional_items": "",
        "holding_from": "2026-12-02",
        "holding_until": "2026-12-22",
    }
    data.update(overrides)
    return data


def test_the_campaign_page_offers_edit_delete_and_removal_before_it_is_sent(
    world, page, county_campaign, attachment
):
    body = page(world.a.admin).get(reverse("console:campaign_detail", args=[county_campaign.pk]))
    text = body.content.decode()
    assert reverse("console:campaign_edit", args=[county_campaign.pk]) in text
    assert reverse("console:campaign_delete", args=[county_campaign.pk]) in text
    assert reverse("console:campaign_detach", args=[county_campaign.pk, attachment.pk]) in text


def test_the_edit_form_shows_the_campaign_and_saves_the_change(world, page, county_campaign):
    client = page(world.a.admin)
    url = reverse("console:campaign_edit", args=[county_campaign.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "汉台区十二月主题" in form.content.decode()
    response = client.post(url, edit_post())
    assert response.status_code == 302
    county_campaign.refresh_from_db()
    assert county_campaign.theme == "改过的主题"
    assert county_campaign.required_items == ["学习", "讨论"]
    assert county_campaign.holding_until == date(2026, 12, 22)
    assert AuditEntry.objects.filter(action="campaign.update").exists()


def test_a_refused_edit_is_shown_on_its_field_in_chinese(world, page, county_campaign):
    url = reverse("console:campaign_edit", args=[county_campaign.pk])
    response = page(world.a.admin).post(url, edit_post(holding_until="2026-11-01"))
    assert response.status_code == 200
    assert "开展时间的结束日期不能早于开始日期" in response.content.decode()


def test_delete_asks_first_then_deletes(world, page, county_campaign, attachment):
    client = page(world.a.admin)
    url = reverse("console:campaign_delete", args=[county_campaign.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "确认删除" in confirm.content.decode()
    assert Campaign.objects.filter(pk=county_campaign.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:campaign_list", args=[world.a.org.pk])
    assert not Campaign.objects.filter(pk=county_campaign.pk).exists()
    assert not CampaignAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_refused_delete_stays_on_the_confirmation_with_the_reason(world, page, county_campaign):
    services.add_supplement(
        actor=world.a.admin,
        parent=county_campaign,
        org=world.a.town,
        guidance="镇里的补充",
    )
    url = reverse("console:campaign_delete", args=[county_campaign.pk])
    response = page(world.a.admin).post(url)
    assert response.status_code == 200
    assert "下级组织已添加补充要求" in response.content.decode()
    assert Campaign.objects.filter(pk=county_campaign.pk).exists()


def test_an_attachment_is_removed(world, page, county_campaign, attachment):
    url = reverse("console:campaign_detach", args=[county_campaign.pk, attachment.pk])
    response = page(world.a.admin).post(url)
    assert response.status_code == 302
    assert not CampaignAttachment.objects.filter(pk=attachment.pk).exists()


def test_once_sent_nothing_is_offered_and_the_urls_refuse(world, page, county_campaign, attachment):
    services.request_distribution(actor=world.a.admin, campaign=county_campaign)
    client = page(world.a.admin)
    detail = client.get(reverse("console:campaign_detail", args=[county_campaign.pk]))
    text = detail.content.decode()
    assert reverse("console:campaign_edit", args=[county_campaign.pk]) not in text
    assert reverse("console:campaign_delete", args=[county_campaign.pk]) not in text
    assert "attachment-remove" not in text
    for url in (
        reverse("console:campaign_edit", args=[county_campaign.pk]),
        reverse("console:campaign_delete", args=[county_campaign.pk]),
    ):
        response = client.post(url, edit_post(), follow=True)
        assert "活动要求已下发，不能再修改、删除或移除附件" in response.content.decode()
    detach = reverse("console:campaign_detach", args=[county_campaign.pk, attachment.pk])
    response = client.post(detach, follow=True)
    assert "活动要求已下发" in response.content.decode()
    county_campaign.refresh_from_db()
    assert county_campaign.theme == "汉台区十二月主题"
    assert Campaign.objects.filter(pk=county_campaign.pk).exists()
    assert CampaignAttachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize("who", ["other_county", "outsider"])
def test_another_countys_admin_and_the_outsider_find_nothing(
    world, page, county_campaign, attachment, who
):
    user = world.b.admin if who == "other_county" else world.outsider
    client = page(user)
    for method, url in (
        ("get", reverse("console:campaign_edit", args=[county_campaign.pk])),
        ("post", reverse("console:campaign_edit", args=[county_campaign.pk])),
        ("get", reverse("console:campaign_delete", args=[county_campaign.pk])),
        ("post", reverse("console:campaign_delete", args=[county_campaign.pk])),
        ("post", reverse("console:campaign_detach", args=[county_campaign.pk, attachment.pk])),
    ):
        response = getattr(client, method)(url)
        # The outsider administers nothing: the back office is closed to them (403).
        assert response.status_code == (403 if who == "outsider" else 404)
    assert Campaign.objects.filter(pk=county_campaign.pk, theme="汉台区十二月主题").exists()
    assert CampaignAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_supplement_is_edited_in_its_guidance_and_items_only(world, page, county_campaign):
    supplement = services.add_supplement(
        actor=world.a.admin, parent=county_campaign, org=world.a.town, guidance="镇里的补充"
    )
    client = page(world.a.admin)
    url = reverse("console:campaign_edit", args=[supplement.pk])
    form = client.get(url).content.decode()
    assert "镇里的补充" in form
    assert 'name="theme"' not in form and 'name="month"' not in form
    response = client.post(
        url, {"guidance": "改过的补充", "required_items": "走访群众", "optional_items": ""}
    )
    assert response.status_code == 302
    supplement.refresh_from_db()
    assert (supplement.guidance, supplement.required_items) == ("改过的补充", ["走访群众"])
    assert supplement.theme == "汉台区十二月主题"
