"""Form pieces that the console and the phone pages share."""

from django import forms
from django.utils.translation import gettext_lazy as _


class NewPasswordForm(forms.Form):
    """A new password, typed twice; what makes it strong enough the service judges."""

    password = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请输入新密码")},
    )
    password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请再次输入新密码")},
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") != data.get("password"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class OwnPasswordForm(NewPasswordForm):
    """One's own new password, with the old one (an admin in the console, a member on the
    phone pages)."""

    field_order = ["old_password", "password", "password2"]

    old_password = forms.CharField(
        label=_("原密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请输入原密码")},
    )
