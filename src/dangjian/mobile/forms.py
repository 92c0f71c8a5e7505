from django import forms
from django.utils.translation import gettext_lazy as _


class ChangePasswordForm(forms.Form):
    old_password = forms.CharField(
        label=_("原密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请输入原密码")},
    )
    new_password = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请输入新密码")},
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请再次输入新密码")},
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") != data.get("new_password"):
            self.add_error("new_password2", _("两次输入的密码不一致"))
        return data
