"""A campaign is its issuer's to change until it is sent: edited, deleted, its attachments
removed, each audited; refused with campaign_already_distributed once distribution was
asked for, and by anyone who may not change it."""

from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.themedays import campaigns, services
from dangjian.themedays.models import Campaign, CampaignAttachment
from tests.themedays.conftest import plan_kwargs

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def attach(world, campaign) -> CampaignAttachment:
    upload = SimpleUploadedFile("图解.png", PNG, content_type="image/png")
    return services.add_campaign_attachment(
        actor=world.city_admin, campaign=campaign, file=upload, name="图解.png"
    )


def test_an_undistributed_campaign_is_edited_and_the_change_audited(world, campaign):
    campaigns.update_campaign(
        actor=world.city_admin,
        campaign=campaign,
        theme="新的主题",
        holding_until=date(2026, 12, 25),
        required_items=["学习", "讨论"],
        sectors=["农村"],
    )
    campaign.refresh_from_db()
    assert campaign.theme == "新的主题"
    assert campaign.holding_until == date(2026, 12, 25)
    assert campaign.required_items == ["学习", "讨论"]
    assert campaign.sectors == ["rural"]
    entry = AuditEntry.objects.get(action="campaign.update")
    assert entry.before["theme"] == "学习贯彻党的二十届四中全会精神"
    assert entry.after["theme"] == "新的主题"
    assert "guidance" not in entry.after


def test_an_edit_is_judged_as_a_new_campaign_is(world, campaign):
    with pytest.raises(DomainError) as exc:
        campaigns.update_campaign(
            actor=world.city_admin, campaign=campaign, holding_until=date(2026, 11, 1)
        )
    assert exc.value.details["field"] == "holding_until"
    with pytest.raises(DomainError) as exc:
        campaigns.update_campaign(actor=world.city_admin, campaign=campaign, theme=" ")
    assert exc.value.details["field"] == "theme"
    with pytest.raises(DomainError) as exc:
        campaigns.update_campaign(actor=world.city_admin, campaign=campaign, required_items=[])
    assert exc.value.details["field"] == "required_items"


def test_a_distributed_campaign_is_neither_edited_deleted_nor_stripped_of_attachments(
    world, campaign
):
    attachment = attach(world, campaign)
    services.request_distribution(actor=world.city_admin, campaign=campaign)
    campaign.refresh_from_db()
    for call in (
        lambda: campaigns.update_campaign(actor=world.city_admin, campaign=campaign, theme="改"),
        lambda: campaigns.delete_campaign(actor=world.city_admin, campaign=campaign),
        lambda: campaigns.remove_campaign_attachment(actor=world.city_admin, attachment=attachment),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "campaign_already_distributed"
    assert Campaign.objects.filter(pk=campaign.pk, theme=campaign.theme).exists()
    assert CampaignAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_supplement_of_a_distributed_campaign_is_sent_with_it(world, campaign):
    supplement = services.add_supplement(
        actor=world.a.admin, parent=campaign, org=world.a.org, guidance="区里的补充"
    )
    campaigns.update_campaign(actor=world.a.admin, campaign=supplement, guidance="改过的补充")
    services.request_distribution(actor=world.city_admin, campaign=campaign)
    supplement = Campaign.objects.select_related("parent").get(pk=supplement.pk)
    with pytest.raises(DomainError) as exc:
        campaigns.update_campaign(actor=world.a.admin, campaign=supplement, guidance="再改")
    assert exc.value.code == "campaign_already_distributed"
    assert supplement.guidance == "改过的补充"


def test_a_supplement_changes_only_its_own_requirements(world, campaign):
    supplement = services.add_supplement(
        actor=world.a.admin, parent=campaign, org=world.a.org, guidance="区里的补充"
    )
    with pytest.raises(DomainError) as exc:
        campaigns.update_campaign(actor=world.a.admin, campaign=supplement, theme="别的主题")
    assert exc.value.details["field"] == "theme"


def test_the_parents_window_reaches_its_supplements(world, campaign):
    supplement = services.add_supplement(
        actor=world.a.admin, parent=campaign, org=world.a.org, guidance="区里的补充"
    )
    campaigns.update_campaign(
        actor=world.city_admin, campaign=campaign, month="2027-01", holding_until=date(2027, 1, 5)
    )
    supplement.refresh_from_db()
    assert (supplement.month, supplement.holding_until) == (date(2027, 1, 1), date(2027, 1, 5))


def test_a_deleted_campaign_takes_its_attachments_and_files_and_is_audited(
    world, campaign, django_capture_on_commit_callbacks
):
    attachment = attach(world, campaign)
    name = attachment.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.delete_campaign(actor=world.city_admin, campaign=campaign)
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not CampaignAttachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(name)
    entry = AuditEntry.objects.get(action="campaign.delete")
    assert entry.before["theme"] == campaign.theme
    assert entry.object_id == str(campaign.pk)


def test_a_campaign_a_branch_planned_for_or_a_county_supplemented_is_not_deleted(world, campaign):
    services.add_supplement(actor=world.a.admin, parent=campaign, org=world.a.org, guidance="补")
    with pytest.raises(DomainError) as exc:
        campaigns.delete_campaign(actor=world.city_admin, campaign=campaign)
    assert exc.value.code == "campaign_has_supplements"
    other = services.create_campaign(
        actor=world.b.admin,
        org=world.b.org,
        month="2026-12",
        theme="区里的主题",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    services.draft_activity(
        actor=world.b.branch_admin, branch=world.b.branch, campaign=other, **plan_kwargs()
    )
    with pytest.raises(DomainError) as exc:
        campaigns.delete_campaign(actor=world.b.admin, campaign=other)
    assert exc.value.code == "campaign_in_use"


def test_an_attachment_is_removed_with_its_file_and_audited(
    world, campaign, django_capture_on_commit_callbacks
):
    attachment = attach(world, campaign)
    name = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.remove_campaign_attachment(actor=world.city_admin, attachment=attachment)
    assert not CampaignAttachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(name)
    entry = AuditEntry.objects.get(action="campaign.detach")
    assert entry.before == {"attachment": "图解.png"}


@pytest.mark.parametrize("who", ["county_admin", "member", "outsider"])
def test_only_who_may_change_the_campaign_edits_deletes_or_removes(world, campaign, who):
    attachment = attach(world, campaign)
    user = {
        "county_admin": world.a.admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
    }[who]
    for call in (
        lambda: campaigns.update_campaign(actor=user, campaign=campaign, theme="改"),
        lambda: campaigns.delete_campaign(actor=user, campaign=campaign),
        lambda: campaigns.remove_campaign_attachment(actor=user, attachment=attachment),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code in ("forbidden", "not_found")
    assert Campaign.objects.filter(pk=campaign.pk, theme=campaign.theme).exists()
