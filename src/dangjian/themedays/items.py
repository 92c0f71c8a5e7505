"""The six required items (规定动作) under stable codes.

A campaign names its required items as text (`Campaign.required_items`, copied into each
plan's `Activity.agenda`), so that a superior may word a month's items its own way. The six
standard items are known by their labels (`DEFAULT_REQUIRED_ITEMS`); everything that keeps
evidence for them, counts them or reports them missing uses the codes here, never the
labels. An agenda entry that is not one of the six is the branch's own and has no code."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS


class RequiredItem(models.TextChoices):
    # In the order of DEFAULT_REQUIRED_ITEMS (the case study's order), which `ORDER` keeps.
    CHARTER = "charter", _("诵读党章")
    DUES = "dues", _("缴纳党费")
    STUDY = "study", _("研学党规党情")
    ORG_LIFE = "org_life", _("落实组织生活")
    DELIBERATION = "deliberation", _("开展民主议事")
    DISCLOSURE = "disclosure", _("实行民主公开")


ORDER: tuple[str, ...] = tuple(RequiredItem.values)

# The label each code is written with in campaigns and agendas (the Chinese text itself,
# whatever language the page is shown in).
CODE_BY_LABEL: dict[str, str] = dict(zip(DEFAULT_REQUIRED_ITEMS, ORDER, strict=True))
LABEL_BY_CODE: dict[str, str] = {code: label for label, code in CODE_BY_LABEL.items()}


def code_of(label: str) -> str | None:
    """The code of an agenda or campaign entry, None for an item that is not one of the six."""
    return CODE_BY_LABEL.get(label.strip()) if isinstance(label, str) else None


def codes_of(labels) -> list[str]:
    """The codes of the standard items among `labels`, once each, in the standard order."""
    present = {code_of(label) for label in labels or ()}
    return [code for code in ORDER if code in present]
