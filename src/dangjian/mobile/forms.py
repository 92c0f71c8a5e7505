from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import NewPasswordForm


class ChangePasswordForm(NewPasswordForm):
    """The member's own new password, with the old one."""

    field_order = ["old_password", "password", "password2"]

    old_password = forms.CharField(
        label=_("原密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请输入原密码")},
    )
