"""Who takes part in the volunteer cloud call, in the back office: the service menus the
admin keeps (list, new entry, edit or take off the menu) and the specialty database
(党员特长库) of their scope, filtered by skill and community."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import (
    form_page,
    org_reference,
    paginate,
    posted,
    render_page,
    resolve_org,
)
from dangjian.core.text import whole_number
from dangjian.permissions import Action
from dangjian.registry import selectors as registry
from dangjian.volunteering import people_selectors, services


class MenuEntryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("服务类别"), max_length=50)
    description = forms.CharField(
        label=gettext_lazy("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    skills = forms.CharField(
        label=gettext_lazy("所需技能"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("多项用顿号或逗号分隔，如：理发、家电维修"),
    )
    sort_order = forms.IntegerField(
        label=gettext_lazy("排序号"), min_value=0, max_value=32767, initial=0
    )


class NewMenuEntryForm(MenuEntryForm):
    field_order = ["org", "name", "description", "skills", "sort_order"]

    org = forms.CharField(
        label=gettext_lazy("所属组织编码"),
        max_length=40,
        help_text=gettext_lazy("县区或社区（村）的组织编码"),
    )


class CitizenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    phone = forms.CharField(
        label=gettext_lazy("手机号"),
        max_length=11,
        help_text=gettext_lazy("群众以后用此手机号接收验证码登录，无需密码。"),
    )
    community = forms.TypedChoiceField(label=gettext_lazy("所在社区（村）"), coerce=int)
    address = forms.CharField(label=gettext_lazy("住址"), max_length=200)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]


class EditMenuEntryForm(MenuEntryForm):
    is_active = forms.BooleanField(label=gettext_lazy("启用（在菜单中显示）"), required=False)


@require_GET
@admin_view
def menu_list(request):
    return render_page(
        request,
        "console/volunteering/people_menu_list.html",
        {"page": paginate(request, people_selectors.menu_entries_kept_by(request.user))},
    )


@require_http_methods(["GET", "POST"])
@admin_view
def menu_create(request):
    top = registry.top_orgs(request.user).first()
    initial = {"org": org_reference(top) if top else "", "sort_order": 0}
    form = NewMenuEntryForm(posted(request), initial=initial)

    def save():
        data = form.cleaned_data
        org = resolve_org(request.user, data["org"])
        services.create_menu_entry(
            actor=request.user,
            org=permissions.access_org(request.user, org.pk, Action.CHANGE),
            name=data["name"],
            description=data["description"],
            skills=data["skills"],
            sort_order=data["sort_order"],
        )
        return redirect("console:volunteer_menu")

    return form_page(
        request, form, "console/volunteering/people_menu_form.html", {"entry": None}, save
    )


@require_http_methods(["GET", "POST"])
@admin_view
def menu_edit(request, entry_id: int):
    entry = permissions.access_service_category(request.user, entry_id, Action.CHANGE)
    initial = {
        "name": entry.name,
        "description": entry.description,
        "skills": "、".join(entry.skills),
        "sort_order": entry.sort_order,
        "is_active": entry.is_active,
    }
    form = EditMenuEntryForm(posted(request), initial=initial)

    def save():
        data = form.cleaned_data
        services.update_menu_entry(
            actor=request.user,
            entry=entry,
            name=data["name"],
            description=data["description"],
            skills=data["skills"],
            sort_order=data["sort_order"],
            is_active=data["is_active"],
        )
        return redirect("console:volunteer_menu")

    return form_page(
        request, form, "console/volunteering/people_menu_form.html", {"entry": entry}, save
    )


@require_GET
@admin_view
def profile_list(request):
    skill = (request.GET.get("skill") or "").strip()[:20]
    community_id = whole_number(request.GET.get("community"))
    rows = people_selectors.profiles_in_scope(request.user, skill=skill, community_id=community_id)
    return render_page(
        request,
        "console/volunteering/people_profiles.html",
        {
            "page": paginate(request, rows),
            "skill": skill,
            "community_id": community_id,
            "communities": people_selectors.communities_administered(request.user),
            "title": _("党员特长库"),
        },
    )


@require_http_methods(["GET", "POST"])
@admin_view
def citizen_register(request):
    """A community's admin registers a resident at the service desk (someone who cannot
    sign up on a phone), who then orders through the community or signs in by code."""
    communities = people_selectors.communities_administered(request.user)
    form = CitizenForm(posted(request), communities=communities)

    def save():
        data = form.cleaned_data
        community = permissions.access_org(request.user, data["community"], Action.CHANGE)
        user = services.register_citizen(
            actor=request.user,
            phone=data["phone"],
            name=data["name"],
            community=community,
            address=data["address"],
        )
        messages.success(
            request,
            _("已登记群众%(name)s（%(phone)s），可凭手机验证码登录。")
            % {"name": user.name, "phone": user.phone},
        )
        return redirect("console:volunteer_orders")

    return form_page(request, form, "console/volunteering/people_citizen_form.html", {}, save)
