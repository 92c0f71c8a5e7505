"""What evidence each required item needs, and whether a record has it: pure functions.

Which items need evidence before they may be marked done is the policy
(`settings.ITEM_EVIDENCE_REQUIRED`, item codes); an item outside it may be marked done with
whatever evidence there is, or none."""

from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dangjian.themedays.items import RequiredItem


class Facts(NamedTuple):
    """What a record of an item holds."""

    has_text: bool = False
    has_matters: bool = False
    has_decisions: bool = False
    has_photo: bool = False
    has_package: bool = False
    # The branch has dues records for the activity's month.
    has_dues: bool = False


# What shows each item was done, as the page and the error say it.
NEEDS = {
    RequiredItem.CHARTER: _("文字记录或照片"),
    RequiredItem.DUES: _("当月党费缴纳记录"),
    RequiredItem.STUDY: _("文字记录、照片或当月学习套餐"),
    RequiredItem.ORG_LIFE: _("会议记录"),
    RequiredItem.DELIBERATION: _("议事事项和议定结果"),
    RequiredItem.DISCLOSURE: _("公开内容（文字或照片）"),
}


# What a record of each item is written with (the pages' inputs): the evidence
# `has_evidence` reads. Dues are recorded in the dues register, not on the item.
FIELDS = {
    RequiredItem.CHARTER: ("text", "photos"),
    RequiredItem.DUES: (),
    RequiredItem.STUDY: ("text", "photos", "package"),
    RequiredItem.ORG_LIFE: ("text",),
    RequiredItem.DELIBERATION: ("matters", "decisions"),
    RequiredItem.DISCLOSURE: ("text", "photos"),
}

# What the text of an item is, where it is more than a written record.
TEXT_LABELS = {
    RequiredItem.ORG_LIFE: _("会议记录"),
    RequiredItem.DISCLOSURE: _("公开内容"),
}
TEXT_LABEL = _("文字记录")


def text_label(item: str) -> str:
    return str(TEXT_LABELS.get(item, TEXT_LABEL))


def has_evidence(item: str, facts: Facts) -> bool:
    """Whether `facts` are the evidence `item` needs."""
    if item == RequiredItem.DUES:
        return facts.has_dues
    if item == RequiredItem.DELIBERATION:
        return facts.has_matters and facts.has_decisions
    if item == RequiredItem.ORG_LIFE:
        return facts.has_text
    if item == RequiredItem.STUDY:
        return facts.has_text or facts.has_photo or facts.has_package
    if item in (RequiredItem.CHARTER, RequiredItem.DISCLOSURE):
        return facts.has_text or facts.has_photo
    raise ValueError(f"unknown item {item!r}")


def evidence_required(item: str) -> bool:
    """Whether the policy requires evidence before `item` is marked done."""
    return item in settings.ITEM_EVIDENCE_REQUIRED


def may_mark_done(item: str, facts: Facts, *, required: bool) -> bool:
    return not required or has_evidence(item, facts)
