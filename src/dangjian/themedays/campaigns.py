"""A campaign is the issuer's to change until it is sent: editing it, deleting it and
removing its attachments, each refused with `campaign_already_distributed` once its
distribution was requested (a supplement goes with its parent's). Creating, supplementing
and distributing stay in `themedays.services`."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.core.text import checked_text
from dangjian.permissions import Action
from dangjian.registry.models import User
from dangjian.themedays import schedule
from dangjian.themedays.models import Campaign, CampaignAttachment
from dangjian.themedays.services import CAMPAIGN_AUDIT_FIELDS, _clean_items, _clean_sectors

# What a supplement may change: the rest is its parent's.
SUPPLEMENT_FIELDS = frozenset({"guidance", "required_items", "optional_items"})
CAMPAIGN_FIELDS = SUPPLEMENT_FIELDS | {
    "month",
    "theme",
    "holding_from",
    "holding_until",
    "sectors",
}


def is_distributed(campaign: Campaign) -> bool:
    """Whether the campaign was sent (or its sending asked for): a supplement is sent with
    its parent."""
    main = campaign.parent if campaign.parent_id else campaign
    return main.distribution_requested_at is not None


def is_editable(campaign: Campaign) -> bool:
    return not is_distributed(campaign)


def _refuse_if_distributed(campaign: Campaign) -> None:
    if is_distributed(campaign):
        raise DomainError(
            "campaign_already_distributed", _("活动要求已下发，不能再修改、删除或移除附件")
        )


def _locked_editable(actor: User, campaign: Campaign) -> Campaign:
    """The campaign read again under lock, refused unless the actor may change it and it
    has not been sent."""
    permissions.require(actor, Action.CHANGE, campaign)
    campaign = locked(campaign, "org", "parent")
    _refuse_if_distributed(campaign)
    return campaign


@transaction.atomic
def update_campaign(*, actor: User, campaign: Campaign, **changes) -> Campaign:
    """Change what a campaign asks, before it is sent; the fields are judged as when it was
    created. A supplement changes only its guidance and items."""
    campaign = _locked_editable(actor, campaign)
    allowed = SUPPLEMENT_FIELDS if campaign.is_supplement else CAMPAIGN_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError("validation_error", _("不能修改此项：%s") % field, field=field)
    before = audit.snapshot(campaign, CAMPAIGN_AUDIT_FIELDS)
    if "theme" in changes:
        message = _("主题不能为空，且不超过200个字")
        campaign.theme = checked_text(
            changes["theme"], field="theme", missing=message, limit=200, too_long=message
        )
    if "month" in changes:
        campaign.month = schedule.first_of_month(changes["month"])
    if "guidance" in changes:
        campaign.guidance = (changes["guidance"] or "").strip()
    if "required_items" in changes:
        campaign.required_items = _clean_items(
            changes["required_items"],
            field="required_items",
            required=not campaign.is_supplement,
        )
    if "optional_items" in changes:
        campaign.optional_items = _clean_items(
            changes["optional_items"], field="optional_items", required=False
        )
    if "sectors" in changes:
        campaign.sectors = _clean_sectors(changes["sectors"])
    campaign.holding_from = changes.get("holding_from", campaign.holding_from)
    campaign.holding_until = changes.get("holding_until", campaign.holding_until)
    if campaign.holding_until < campaign.holding_from:
        raise DomainError(
            "validation_error", _("开展时间的结束日期不能早于开始日期"), field="holding_until"
        )
    if campaign.is_supplement and not campaign.required_items and not campaign.guidance:
        raise DomainError("validation_error", _("请填写补充要求"), field="guidance")
    campaign.updated_at = clock.now()
    campaign.save()
    if not campaign.is_supplement:
        # The supplements follow their parent's month, theme and window.
        campaign.supplements.update(
            month=campaign.month,
            theme=campaign.theme,
            holding_from=campaign.holding_from,
            holding_until=campaign.holding_until,
            sectors=campaign.sectors,
            updated_at=campaign.updated_at,
        )
    audit.record_changes(
        actor=actor,
        action="campaign.update",
        obj=campaign,
        org=campaign.org,
        before=before,
        after=audit.snapshot(campaign, CAMPAIGN_AUDIT_FIELDS),
    )
    return campaign


@transaction.atomic
def delete_campaign(*, actor: User, campaign: Campaign) -> None:
    """Delete a campaign that was not sent, with its attachments. Refused while a branch
    has a plan for it or a lower organization has supplemented it (theirs to keep)."""
    campaign = _locked_editable(actor, campaign)
    if campaign.activities.exists():
        raise DomainError("campaign_in_use", _("已有党支部按此活动要求制定了计划，不能删除"))
    if campaign.supplements.exists():
        raise DomainError("campaign_has_supplements", _("下级组织已添加补充要求，请先删除补充要求"))
    files = [a.file.name for a in campaign.attachments.all() if a.file.name]
    audit.record(
        actor=actor,
        action="campaign.delete",
        obj=campaign,
        org=campaign.org,
        before=audit.snapshot(campaign, CAMPAIGN_AUDIT_FIELDS),
    )
    campaign.delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files])


@transaction.atomic
def remove_campaign_attachment(*, actor: User, attachment: CampaignAttachment) -> None:
    """Remove a file from a campaign that was not sent (by whoever may edit it)."""
    campaign = _locked_editable(actor, attachment.campaign)
    name = attachment.file.name
    audit.record(
        actor=actor,
        action="campaign.detach",
        obj=campaign,
        org=campaign.org,
        before={"attachment": attachment.name},
    )
    CampaignAttachment.objects.filter(pk=attachment.pk).delete()
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
