"""Back-office forms. They only carry input: the rules (and their Chinese messages) live in
the registry services, whose `DomainError`s are put back onto these forms by
`add_domain_error`. Text fields are therefore optional here, so that an empty name is
judged by the same rule, with the same words, as in the API and the bulk import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.errors import DomainError
from dangjian.registry.models import Gender, Member, MemberStatus, OrgKind, Sector

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on each named field when the error says
    which, else above the form."""
    items = exc.details.get("errors") or []
    placed = False
    for item in items:
        name = item.get("field")
        if name and name in form.fields:
            form.add_error(name, item.get("message") or exc.message)
            placed = True
    if placed:
        return
    name = exc.details.get("field")
    form.add_error(name if name in form.fields else None, exc.message)


class OrgForm(forms.Form):
    name = forms.CharField(label=_("组织名称"), required=False, max_length=200)
    code = forms.CharField(label=_("组织编码"), required=False, max_length=32)
    kind = forms.ChoiceField(label=_("组织类别"), choices=OrgKind.choices)
    sector = forms.ChoiceField(label=_("所属领域"), choices=Sector.choices)
    category = forms.CharField(label=_("分类"), required=False, max_length=100)


class OrgEditForm(OrgForm):
    new_parent = forms.CharField(
        label=_("移到新的上级组织"),
        required=False,
        max_length=40,
        help_text=_("填写上级组织的编码，或用下方搜索选择；留空则不移动。"),
    )


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), required=False, max_length=100)
    phone = forms.CharField(label=_("手机号"), required=False, max_length=20)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=40)
    gender = forms.ChoiceField(
        label=_("性别"),
        required=False,
        choices=[("", _("按身份证号确定"))] + list(Gender.choices),
    )
    birth_date = forms.CharField(label=_("出生日期"), required=False, widget=DATE)
    join_date = forms.CharField(label=_("入党日期"), required=False, widget=DATE)
    status = forms.ChoiceField(
        label=_("党员类型"),
        required=False,
        choices=[("", _("请选择"))] + list(MemberStatus.choices),
    )
    full_date = forms.CharField(label=_("转正日期"), required=False, widget=DATE)
    is_flowing = forms.BooleanField(label=_("流动党员"), required=False)
    flowing_location = forms.CharField(label=_("流动去向"), required=False, max_length=200)

    def __init__(self, *args, member: Member | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if member is not None:
            # An edit never shows the number: it stays as it is unless a new one is typed.
            id_number = self.fields["id_number"]
            id_number.help_text = _("留空则不修改")
            id_number.widget.attrs.update(autocomplete="off", placeholder=member.id_number_masked)

    def service_fields(self) -> dict:
        """The values for services.create_member / update_member (an empty ID number on
        an edit means "unchanged", so it is left out)."""
        data = dict(self.cleaned_data)
        if not data.get("id_number"):
            data.pop("id_number", None)
        if not data.get("gender"):
            data.pop("gender", None)
        return data


class TransferForm(forms.Form):
    to_branch = forms.CharField(
        label=_("转入党支部"),
        max_length=40,
        help_text=_("填写党支部的组织编码，或用下方搜索选择。"),
        error_messages={"required": _("请选择转入的党支部")},
    )
    reason = forms.CharField(label=_("转接原因"), required=False, max_length=200)


class LeaveForm(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class GrantForm(forms.Form):
    who = forms.CharField(
        label=_("党员手机号或身份证号"),
        max_length=40,
        error_messages={"required": _("请输入党员的手机号或身份证号")},
    )


class ImportForm(forms.Form):
    KIND_CHOICES = [("members", _("党员")), ("orgs", _("党组织"))]
    kind = forms.ChoiceField(
        label=_("导入内容"), choices=KIND_CHOICES, initial="members", widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("文件（.xlsx 或 .csv）"),
        error_messages={"required": _("请选择要导入的文件"), "empty": _("文件是空的。")},
    )
