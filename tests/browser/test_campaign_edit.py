"""A campaign in a real browser (desktop): the county admin edits a campaign that is not yet
sent, removes its attachment, then deletes it after the confirmation page; a campaign
already sent offers neither edit nor delete."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.themedays import services
from dangjian.themedays.models import Campaign, CampaignAttachment
from tests.browser.test_registry_pages import log_in
from tests.conftest import COMMITTED

pytestmark = [pytest.mark.browser, COMMITTED]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_campaign(world, theme: str) -> Campaign:
    today = timezone.localdate()
    return services.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month=f"{today:%Y-%m}",
        theme=theme,
        guidance="围绕主题学习",
        holding_from=today,
        holding_until=today + timedelta(days=10),
    )


def test_a_draft_campaign_is_edited_then_deleted_and_a_sent_one_offers_neither(
    world, desktop, shot
):
    draft = make_campaign(world, "草稿中的主题")
    services.add_campaign_attachment(
        actor=world.a.admin,
        campaign=draft,
        file=SimpleUploadedFile("图解.png", PNG, content_type="image/png"),
        name="图解.png",
    )
    sent = make_campaign(world, "已下发的主题")
    services.request_distribution(actor=world.a.admin, campaign=sent)

    page = desktop
    log_in(page, f"/console/campaigns/{draft.pk}/", world.a.admin.phone)
    page.get_by_test_id("campaign-edit").click()
    expect(page.get_by_role("heading", name="修改活动要求")).to_be_visible()
    theme = page.get_by_label("主题")
    expect(theme).to_have_value("草稿中的主题")
    theme.fill("改过的主题")
    page.get_by_label("活动指引").fill("改过的指引")
    shot(page, "console-campaign-edit")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="改过的主题", level=1)).to_be_visible()
    expect(page.get_by_text("已保存修改。")).to_be_visible()
    expect(page.get_by_text("改过的指引")).to_be_visible()

    # The attachment, removed after the browser's confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("attachment-remove").click()
    expect(page.get_by_text("已移除附件“图解.png”。")).to_be_visible()
    expect(page.get_by_text("没有附件。")).to_be_visible()
    assert not CampaignAttachment.objects.filter(campaign=draft).exists()

    page.get_by_test_id("campaign-delete").click()
    expect(page.get_by_text("确认删除“")).to_be_visible()
    shot(page, "console-campaign-delete")
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_text("已删除活动要求“改过的主题”。")).to_be_visible()
    assert page.url.endswith(f"/console/orgs/{world.a.org.pk}/campaigns/")
    assert not Campaign.objects.filter(pk=draft.pk).exists()

    page.goto(f"{page.base}/console/campaigns/{sent.pk}/")
    expect(page.get_by_role("heading", name="已下发的主题", level=1)).to_be_visible()
    expect(page.locator("#distribution .badge.ok", has_text="已下发")).to_have_count(1)
    expect(page.get_by_test_id("campaign-edit")).to_have_count(0)
    expect(page.get_by_test_id("campaign-delete")).to_have_count(0)
    # Its edit address answers with the reason, back on the campaign.
    page.goto(f"{page.base}/console/campaigns/{sent.pk}/edit/")
    expect(page.get_by_text("活动要求已下发，不能再修改、删除或移除附件")).to_be_visible()
    assert page.url.endswith(f"/console/campaigns/{sent.pk}/")
