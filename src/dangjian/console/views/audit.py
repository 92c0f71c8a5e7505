"""The audit log of the actor's scope, told in words rather than JSON."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.audit import selectors as audit_selectors
from dangjian.console.decorators import admin_view
from dangjian.console.forms import DATE
from dangjian.console.views.base import paginate, render_page, trail
from dangjian.core import labels
from dangjian.permissions import Action
from dangjian.registry.models import Gender, MemberStatus, OrgKind, Sector

ACTION_NAMES = labels.AUDIT_ACTIONS
FIELD_NAMES = {
    "name": _("名称"),
    "code": _("组织编码"),
    "kind": _("组织类别"),
    "sector": _("所属领域"),
    "category": _("分类"),
    "is_active": _("有效"),
    "path": _("树路径"),
    "parent_id": _("上级组织"),
    "gender": _("性别"),
    "birth_date": _("出生日期"),
    "id_number_masked": _("身份证号"),
    "phone": _("手机号"),
    "branch_id": _("所在党支部"),
    "join_date": _("入党日期"),
    "full_date": _("转正日期"),
    "is_flowing": _("流动党员"),
    "flowing_location": _("流动去向"),
    "left_at": _("离开日期"),
    "reason": _("原因"),
    "user_id": _("用户"),
    "org_id": _("组织"),
    "role": _("角色"),
    "count": _("数量"),
    "format": _("格式"),
    "created": _("新增"),
    "updated": _("更新"),
    "file": _("文件名"),
    "changed": _("有变化"),
    "status": _("状态"),
}
# Words that differ by the kind of object.
FIELD_NAMES_BY_TYPE = {
    "registry.member": {"name": _("姓名"), "status": _("党员类型"), "is_active": _("在册")},
    "registry.organization": {"is_active": _("有效")},
}
# Shown elsewhere in the row (the object's label names the user) or meaningless to a
# reader (the materialized path); still stored, and returned by the API.
HIDDEN_KEYS = {"user_id", "path"}
# Stored codes shown by their names.
VALUE_NAMES = {
    **dict(OrgKind.choices),
    **dict(Sector.choices),
    **dict(MemberStatus.choices),
    **dict(Gender.choices),
    "admin": _("管理员"),
    "members": _("党员"),
    "organizations": _("党组织"),
}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Row:
    entry: object
    action: str
    changes: list[Change]


ORG_ID_KEYS = ("branch_id", "parent_id", "org_id")


def _value(value, org_names: dict | None = None) -> str:
    if value is None or value == "":
        return "—"
    if org_names is not None:
        return org_names.get(value, f"#{value}")
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    if isinstance(value, str) and value in VALUE_NAMES:
        return str(VALUE_NAMES[value])
    return str(value)


def present_entries(actor, entries) -> list[Row]:
    entries = list(entries)
    # Organization ids in the values are shown by name: one query for the page, and only
    # organizations the actor may read.
    ids = {
        v
        for e in entries
        for values in (e.before or {}, e.after or {})
        for k, v in values.items()
        if k in ORG_ID_KEYS and isinstance(v, int)
    }
    org_names = (
        dict(permissions.scoped_orgs(actor).filter(pk__in=ids).values_list("pk", "name"))
        if ids
        else {}
    )
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN_KEYS]
        names = {**FIELD_NAMES, **FIELD_NAMES_BY_TYPE.get(entry.object_type, {})}

        def worded(key, value, object_type=entry.object_type):
            return labels.audit_value(object_type, key, value)

        changes = [
            Change(
                str(names.get(k) or labels.audit_field(entry.object_type, k)),
                _value(worded(k, before[k]), org_names if k in ORG_ID_KEYS else None)
                if k in before
                else "",
                _value(worded(k, after[k]), org_names if k in ORG_ID_KEYS else None)
                if k in after
                else "",
            )
            for k in keys
        ]
        rows.append(Row(entry, str(ACTION_NAMES.get(entry.action, entry.action)), changes))
    return rows


# The kinds of object a reader filters the log by, in their words.
OBJECT_TYPE_NAMES = {
    "registry.organization": _("党组织"),
    "registry.member": _("党员"),
    "registry.user": _("账号"),
    "registry.rolegrant": _("管理员授权"),
    "themedays.campaign": _("活动要求"),
    "themedays.activity": _("活动计划"),
    "interaction.photo": _("活动照片"),
    "interaction.summary": _("活动总结"),
    "interaction.comment": _("评论"),
    "interaction.rating": _("上级评分"),
    "attendance.attendancerecord": _("签到记录"),
    "attendance.leaverequest": _("请假"),
    "attendance.correction": _("签到更正"),
    "scoring.scoringpolicy": _("评分规则"),
    "supervision.spotcheck": _("抽查"),
    "supervision.rectification": _("整改"),
    "supervision.recordreview": _("记录审核"),
    "supervision.monthlysheet": _("月度督导表"),
    "supervision.appraisal": _("年度考评"),
    "supervision.awardround": _("季度评选"),
    "supervision.bulletin": _("季度通报"),
    "learning.article": _("学习文章"),
    "learning.quiz": _("测试"),
    "learning.studypackage": _("学习包"),
    "volunteering.order": _("志愿服务订单"),
    "orglife.duesrecord": _("党费记录"),
}


class AuditFilters(forms.Form):
    """The log's filters, read from the query string: a value that is not one of the
    choices, or not a date, is shown as an error and left out."""

    who = forms.CharField(label=_("操作人"), required=False, max_length=80)
    action = forms.ChoiceField(label=_("操作"), required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    since = forms.DateField(
        label=_("起始日期"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )
    until = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["action"].choices = everything + list(ACTION_NAMES.items())
        self.fields["object_type"].choices = everything + list(OBJECT_TYPE_NAMES.items())

    def filters(self) -> dict:
        """The valid filters, as entries_for takes them."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if "object_id" in data and not data["object_id"].strip():
            del data["object_id"]
        return data


@require_GET
@admin_view
def audit_log(request):
    actor = request.user
    org = None
    if request.GET.get("org"):
        org = permissions.access_org(actor, request.GET["org"], Action.VIEW_AUDIT)
    form = AuditFilters(request.GET)
    filters = form.filters()
    entries = audit_selectors.entries_for(actor, org=org, **filters).order_by("-created_at", "-id")
    page = paginate(request, entries)
    return render_page(
        request,
        "console/audit.html",
        {
            "org": org,
            "crumbs": trail(actor, org) if org else [],
            "page": page,
            "rows": present_entries(actor, page.object_list),
            "form": form,
            "filtered": bool(filters),
        },
    )
