"""Accounts in the back office: an admin's own password (the city's and counties' staff
often have no member record, so no phone page to change it on), a superior resetting a
subordinate admin's password, ending every sign-in of a member's account, and unbinding a
member's WeChat (the phone or the WeChat account changed hands)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, posted
from dangjian.core.forms import NewPasswordForm, OwnPasswordForm
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.registry import accounts, services, wechat


@require_http_methods(["GET", "POST"])
@admin_view
def own_password(request):
    user = request.user
    form = OwnPasswordForm(posted(request))

    def save():
        services.change_own_password(
            user=user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["password"],
        )
        # Every other session and token ends; this one stays signed in.
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改，其他设备已退出登录。"))
        return redirect("console:index")

    return form_page(request, form, "console/own_password.html", {}, save)


@require_http_methods(["GET", "POST"])
@admin_view
def admin_password(request, user_id: int):
    actor = request.user
    account = permissions.access_subordinate_admin(actor, user_id)
    form = NewPasswordForm(posted(request))

    def save():
        services.reset_admin_password(
            actor=actor, account=account, password=form.cleaned_data["password"]
        )
        messages.success(
            request,
            _("已重置%(name)s的密码，其所有设备已退出登录并已通知本人。") % {"name": account.name},
        )
        return redirect("console:index")

    return form_page(request, form, "console/admin_password.html", {"account": account}, save)


def _on_member_account(request, member_id: int, success: str, service):
    """`service` on the account of a member in the admin's scope, then back to the
    member's page with `success` (which names them as `%(name)s`)."""
    member = permissions.access_member(request.user, member_id, Action.CHANGE)
    attempt(request, success % {"name": member.name}, service, member=member)
    return redirect("console:member_detail", member_id=member.pk)


@require_POST
@admin_view
def member_sign_out(request, member_id: int):
    success = _("%(name)s的账号已在所有设备上退出登录。")
    return _on_member_account(request, member_id, success, accounts.sign_out_everywhere)


@require_POST
@admin_view
def member_wechat_unbind(request, member_id: int):
    success = _("已解除%(name)s的微信绑定，其所有设备已退出登录。")
    return _on_member_account(request, member_id, success, wechat.unbind_member)
