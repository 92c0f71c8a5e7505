"""Members: the roster of a subtree, a member's record and the changes made to it."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.audit import selectors as audit_selectors
from dangjian.console.decorators import admin_view
from dangjian.console.forms import (
    LeaveForm,
    MemberForm,
    TransferForm,
)
from dangjian.console.views.audit import present_entries
from dangjian.console.views.base import (
    form_page,
    paginate,
    posted,
    render_page,
    resolve_org,
    trail,
)
from dangjian.core.errors import DomainError
from dangjian.core.forms import NewPasswordForm
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.registry import selectors, services, wechat
from dangjian.registry.models import MemberStatus, OrgKind, Sector

AUDIT_ON_DETAIL = 20


# The list's select filters: the query parameter, its label, and its choices (value, text),
# the first being the default; `_filters` reads them.
ALL = ("", gettext_lazy("全部"))
SELECTS = (
    ("status", gettext_lazy("党员类型"), [ALL, *MemberStatus.choices]),
    (
        "flowing",
        gettext_lazy("流动党员"),
        [ALL, ("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))],
    ),
    ("sector", gettext_lazy("所属领域"), [ALL, *Sector.choices]),
    (
        "active",
        gettext_lazy("在册状态"),
        [
            ("yes", gettext_lazy("在册")),
            ("no", gettext_lazy("已离开")),
            ("all", gettext_lazy("全部")),
        ],
    ),
)
YES_NO = {"yes": True, "no": False}


def _filters(request) -> tuple[dict, dict]:
    """The list filters as chosen (a value not offered is the default) and as selector
    arguments."""
    chosen = {"q": request.GET.get("q", "").strip()}
    for name, _label, choices in SELECTS:
        value = request.GET.get(name)
        chosen[name] = value if value in dict(choices) else choices[0][0]
    args = {
        **chosen,
        "flowing": YES_NO.get(chosen["flowing"]),
        "active": YES_NO.get(chosen["active"]),
    }
    return chosen, args


@require_GET
@admin_view
def member_list(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.READ)
    chosen, args = _filters(request)
    page = paginate(request, selectors.members_of(actor, org, **args))
    return render_page(
        request,
        "console/member_list.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "page": page,
            "q": chosen["q"],
            "selects": [(name, label, choices, chosen[name]) for name, label, choices in SELECTS],
            "filtered": any(chosen[name] != choices[0][0] for name, _l, choices in SELECTS)
            or bool(chosen["q"]),
            "can_import": permissions.can(actor, Action.IMPORT, org),
            "is_branch": org.kind == OrgKind.BRANCH,
        },
    )


@require_GET
@admin_view
def member_detail(request, member_id: int):
    return _detail(request, permissions.access_member(request.user, member_id, Action.READ))


def _detail(request, member, revealed: str = ""):
    actor = request.user
    entries = audit_selectors.entries_for(
        actor, object_type="registry.member", object_id=member.pk
    ).order_by("-created_at", "-id")[:AUDIT_ON_DETAIL]
    return render_page(
        request,
        "console/member_detail.html",
        {
            "member": member,
            "crumbs": trail(actor, member.branch),
            "transfers": list(selectors.transfers_of(member)),
            "entries": present_entries(actor, entries),
            "revealed": revealed,
            "can_change": permissions.can(actor, Action.CHANGE, member),
            "leave_form": LeaveForm(),
            "wechat_bound": wechat.is_bound(member.user),
        },
    )


@require_POST
@admin_view
def member_reveal_id(request, member_id: int):
    actor = request.user
    member = permissions.access_member(actor, member_id, Action.VIEW_ID_NUMBER)
    number = services.reveal_id_number(actor=actor, member=member)
    if request.htmx:
        return render(request, "console/partials/id_number.html", {"number": number})
    return _detail(request, member, revealed=number)


def _member_initial(member) -> dict:
    return {
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat(),
        "phone": member.user.phone,
        "join_date": member.join_date.isoformat(),
        "full_date": member.full_date.isoformat() if member.full_date else "",
        "status": member.status,
        "is_flowing": member.is_flowing,
        "flowing_location": member.flowing_location,
    }


@require_http_methods(["GET", "POST"])
@admin_view
def member_create(request, branch_id: int):
    actor = request.user
    branch = permissions.access_org(actor, branch_id, Action.CHANGE)
    form = MemberForm(posted(request), initial={"status": MemberStatus.FULL})

    def save():
        member = services.create_member(actor=actor, branch=branch, **form.service_fields())
        messages.success(request, _("已登记党员%(name)s。") % {"name": member.name})
        return redirect("console:member_detail", member_id=member.pk)

    context = {
        "branch": branch,
        "is_branch": branch.kind == OrgKind.BRANCH,
        "crumbs": trail(actor, branch),
    }
    return form_page(request, form, "console/member_form.html", context, save)


@require_http_methods(["GET", "POST"])
@admin_view
def member_edit(request, member_id: int):
    actor = request.user
    member = permissions.access_member(actor, member_id, Action.CHANGE)
    form = MemberForm(posted(request), initial=_member_initial(member), member=member)

    def save():
        services.update_member(actor=actor, member=member, **form.service_fields())
        messages.success(request, _("已保存。"))
        return redirect("console:member_detail", member_id=member.pk)

    context = {
        "member": member,
        "branch": member.branch,
        "is_branch": True,
        "crumbs": trail(actor, member.branch),
    }
    return form_page(request, form, "console/member_form.html", context, save)


@require_http_methods(["GET", "POST"])
@admin_view
def member_transfer(request, member_id: int):
    actor = request.user
    member = permissions.access_member(actor, member_id, Action.CHANGE)
    form = TransferForm(posted(request))

    def save():
        data = form.cleaned_data
        try:
            to_branch = resolve_org(actor, data["to_branch"])
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, field="to_branch") from exc
        services.transfer_member(
            actor=actor, member=member, to_branch=to_branch, reason=data["reason"]
        )
        names = {"name": member.name, "branch": to_branch.name}
        messages.success(request, _("已将%(name)s转入%(branch)s。") % names)
        return redirect("console:member_detail", member_id=member.pk)

    context = {"member": member, "crumbs": trail(actor, member.branch)}
    return form_page(request, form, "console/member_transfer.html", context, save)


@require_POST
@admin_view
def member_leave(request, member_id: int):
    actor = request.user
    member = permissions.access_member(actor, member_id, Action.CHANGE)
    form = LeaveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    success = _("已将%(name)s标记为离开。") % {"name": member.name}
    attempt(request, success, services.mark_member_left, member=member, reason=reason)
    return redirect("console:member_detail", member_id=member.pk)


@require_http_methods(["GET", "POST"])
@admin_view
def member_password(request, member_id: int):
    actor = request.user
    member = permissions.access_member(actor, member_id, Action.CHANGE)
    form = NewPasswordForm(posted(request))

    def save():
        password = form.cleaned_data["password"]
        services.set_member_password(actor=actor, member=member, password=password)
        if member.user_id == actor.pk:
            # Setting one's own password would otherwise end this session.
            update_session_auth_hash(request, member.user)
        messages.success(request, _("已为%(name)s设置新密码。") % {"name": member.name})
        return redirect("console:member_detail", member_id=member.pk)

    context = {"member": member, "crumbs": trail(actor, member.branch)}
    return form_page(request, form, "console/member_password.html", context, save)
