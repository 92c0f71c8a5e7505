"""A campaign changed before it is sent (docs/product.md, "Monthly theme days"): its edit
form, its deletion after a confirmation page, and an attachment removed. The rules and
their refusals (`campaign_already_distributed` once sent) are `themedays.campaigns`'."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, posted, render_page
from dangjian.console.views.themedays import CampaignForm, lines
from dangjian.core.errors import DomainError
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.themedays import campaigns, selectors


class CampaignEditForm(CampaignForm):
    """The campaign's form without its uploads (attachments are added and removed on the
    campaign's page); a supplement's keeps only its guidance and items."""

    def __init__(self, *args, supplement: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["attachments"]
        if supplement:
            for name in list(self.fields):
                if name not in campaigns.SUPPLEMENT_FIELDS:
                    del self.fields[name]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.fields}
        for name in ("required_items", "optional_items"):
            fields[name] = lines(fields[name])
        return fields


def _initial(campaign) -> dict:
    return {
        "month": f"{campaign.month:%Y-%m}",
        "theme": campaign.theme,
        "guidance": campaign.guidance,
        "required_items": "\n".join(campaign.required_items),
        "optional_items": "\n".join(campaign.optional_items),
        "holding_from": campaign.holding_from,
        "holding_until": campaign.holding_until,
        "sectors": campaign.sectors,
    }


def _editable(request, campaign_id: int):
    """The campaign the actor may change; once sent, back to its page with the reason."""
    campaign = permissions.access_campaign(request.user, campaign_id, Action.CHANGE)
    if campaigns.is_distributed(campaign):
        messages.error(request, _("活动要求已下发，不能再修改、删除或移除附件"))
        return campaign, redirect("console:campaign_detail", campaign_id=campaign.pk)
    return campaign, None


@require_http_methods(["GET", "POST"])
@admin_view
def campaign_edit(request, campaign_id: int):
    actor = request.user
    campaign, sent = _editable(request, campaign_id)
    if sent:
        return sent
    form = CampaignEditForm(
        posted(request), initial=_initial(campaign), supplement=campaign.is_supplement
    )

    def save():
        campaigns.update_campaign(actor=actor, campaign=campaign, **form.service_fields())
        messages.success(request, _("已保存修改。"))
        return redirect("console:campaign_detail", campaign_id=campaign.pk)

    context = {"campaign": campaign, "org": campaign.org}
    return form_page(request, form, "console/themedays/campaign_edit.html", context, save)


@require_http_methods(["GET", "POST"])
@admin_view
def campaign_delete(request, campaign_id: int):
    actor = request.user
    campaign, sent = _editable(request, campaign_id)
    if sent:
        return sent
    error = ""
    if request.method == "POST":
        org_id = campaign.org_id
        try:
            campaigns.delete_campaign(actor=actor, campaign=campaign)
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            error = exc.message
        else:
            messages.success(request, _("已删除活动要求“%s”。") % campaign.theme)
            if campaign.parent_id:
                return redirect("console:campaign_detail", campaign_id=campaign.parent_id)
            return redirect("console:campaign_list", org_id=org_id)
    return render_page(
        request,
        "console/themedays/campaign_delete.html",
        {
            "campaign": campaign,
            "error": error,
            "attachments": campaign.attachments.count(),
        },
    )


@require_POST
@admin_view
def campaign_detach(request, campaign_id: int, attachment_id: int):
    actor = request.user
    campaign = permissions.access_campaign(actor, campaign_id, Action.CHANGE)
    attachment = selectors.campaign_attachment(campaign, attachment_id)
    attempt(
        request,
        _("已移除附件“%s”。") % attachment.name,
        campaigns.remove_campaign_attachment,
        attachment=attachment,
    )
    return redirect("console:campaign_detail", campaign_id=campaign.pk)
