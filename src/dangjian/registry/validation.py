"""Field rules for members, shared by the single-record services and the bulk import so
that a row is judged the same way however it arrives. Accepts typed values or the text a
spreadsheet holds; returns clean values and a list of Chinese error messages per field."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.text import single_line
from dangjian.registry import idcard
from dangjian.registry.models import Gender, MemberStatus

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_JOIN_AGE = 18

GENDER_WORDS = {
    "男": Gender.MALE,
    "女": Gender.FEMALE,
    "male": Gender.MALE,
    "female": Gender.FEMALE,
}
STATUS_WORDS = {
    "正式党员": MemberStatus.FULL,
    "正式": MemberStatus.FULL,
    "full": MemberStatus.FULL,
    "预备党员": MemberStatus.PROBATIONARY,
    "预备": MemberStatus.PROBATIONARY,
    "probationary": MemberStatus.PROBATIONARY,
}
YES_WORDS = {"是", "yes", "true", "1", "y"}
NO_WORDS = {"否", "no", "false", "0", "n", ""}


@dataclass
class FieldError:
    field: str
    code: str
    message: str


@dataclass
class MemberFields:
    name: str = ""
    gender: str = ""
    birth_date: date | None = None
    id_number: str = ""
    phone: str = ""
    join_date: date | None = None
    full_date: date | None = None
    status: str = ""
    is_flowing: bool = False
    flowing_location: str = ""
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str, message: str, code: str = "validation_error") -> None:
        self.errors.append(FieldError(name, code, message))


def parse_date(value) -> date | None:
    """A date from a date, an Excel datetime, or text like 2020-07-01 / 2020/7/1 / 20200701."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(text)


def clean_text(value) -> str:
    """A cell or one-line field as text: blanks around it dropped, a spreadsheet's 1.0 read
    as 1, control characters dropped (tab and line breaks read as spaces: core.text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return single_line(str(value))


def clean_member_fields(raw: dict, *, today: date | None = None) -> MemberFields:
    """Validate the member fields present in `raw` (all of them for a new member)."""
    today = today or clock.today()
    out = MemberFields()

    out.name = clean_text(raw.get("name"))
    if not out.name:
        out.error("name", _("姓名不能为空"))
    elif len(out.name) > 50:
        out.error("name", _("姓名不能超过50个字"))

    parsed_id = None
    out.id_number = idcard.normalize(clean_text(raw.get("id_number")))
    if not out.id_number:
        out.error("id_number", _("身份证号不能为空"), "invalid_id_number")
    else:
        try:
            parsed_id = idcard.parse(out.id_number, today=today)
        except idcard.InvalidIdNumber as exc:
            out.error("id_number", str(exc), "invalid_id_number")

    gender_raw = clean_text(raw.get("gender")).lower()
    if gender_raw:
        out.gender = GENDER_WORDS.get(gender_raw, "")
        if not out.gender:
            out.error("gender", _("性别应为“男”或“女”"))
    elif parsed_id:
        out.gender = parsed_id.gender
    else:
        out.error("gender", _("性别不能为空"))

    try:
        out.birth_date = parse_date(raw.get("birth_date"))
    except ValueError:
        out.error("birth_date", _("出生日期格式应为 YYYY-MM-DD"))
    if out.birth_date is None and parsed_id:
        out.birth_date = parsed_id.birth_date
    elif out.birth_date is None and not any(e.field == "birth_date" for e in out.errors):
        out.error("birth_date", _("出生日期不能为空"))

    if parsed_id:
        if out.birth_date and out.birth_date != parsed_id.birth_date:
            out.error("birth_date", _("出生日期与身份证号不一致"))
        if out.gender and out.gender != parsed_id.gender:
            out.error("gender", _("性别与身份证号不一致"))

    out.phone = clean_text(raw.get("phone")).replace(" ", "").replace("-", "")
    if out.phone.startswith("+86"):
        out.phone = out.phone[3:]
    if not PHONE_RE.match(out.phone):
        out.error("phone", _("手机号应为11位大陆手机号码"), "invalid_phone")

    try:
        out.join_date = parse_date(raw.get("join_date"))
    except ValueError:
        out.error("join_date", _("入党日期格式应为 YYYY-MM-DD"))
    else:
        if out.join_date is None:
            out.error("join_date", _("入党日期不能为空"))
        elif out.join_date > today:
            out.error("join_date", _("入党日期不能晚于今天"))
        elif out.birth_date and _age_on(out.birth_date, out.join_date) < MIN_JOIN_AGE:
            out.error("join_date", _("入党时应年满18周岁"))

    status_raw = clean_text(raw.get("status")).lower()
    out.status = STATUS_WORDS.get(status_raw, "")
    if not out.status:
        out.error("status", _("党员类型应为“正式党员”或“预备党员”"))

    try:
        out.full_date = parse_date(raw.get("full_date"))
    except ValueError:
        out.error("full_date", _("转正日期格式应为 YYYY-MM-DD"))
    else:
        if out.status == MemberStatus.FULL and out.full_date is None:
            out.error("full_date", _("正式党员须填写转正日期"))
        elif out.status == MemberStatus.PROBATIONARY and out.full_date is not None:
            out.error("full_date", _("预备党员不应填写转正日期"))
        elif out.full_date and out.join_date and out.full_date < out.join_date:
            out.error("full_date", _("转正日期不能早于入党日期"))
        elif out.full_date and out.full_date > today:
            out.error("full_date", _("转正日期不能晚于今天"))

    flowing = raw.get("is_flowing")
    if isinstance(flowing, bool):
        out.is_flowing = flowing
    else:
        word = clean_text(flowing).lower()
        if word in YES_WORDS:
            out.is_flowing = True
        elif word in NO_WORDS:
            out.is_flowing = False
        else:
            out.error("is_flowing", _("是否流动党员应为“是”或“否”"))
    out.flowing_location = clean_text(raw.get("flowing_location"))
    if out.is_flowing and not out.flowing_location:
        out.error("flowing_location", _("流动党员须填写流动去向"))
    if len(out.flowing_location) > 200:
        out.error("flowing_location", _("流动去向不能超过200个字"))
    if not out.is_flowing:
        out.flowing_location = ""
    return out


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
