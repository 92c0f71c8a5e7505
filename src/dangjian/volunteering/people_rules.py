"""The rules of who takes part, as pure functions: which organizations keep a service menu,
and what a list of skills is (short labels, as the menu and the specialty database match
them)."""

import re

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.volunteering.rules import COUNTY_DEPTH, is_community

MAX_SKILLS = 20
MAX_SKILL_LENGTH = 20
# Typed lists are split on commas, the enumeration comma, semicolons and spaces, Chinese or
# not ("理发、家电维修").
_SEPARATORS = re.compile(r"[,，、;；\s]+")


def holds_menu(*, depth: int, kind: str, sector: str) -> bool:
    """A service menu belongs to a county (the county's entries reach every community in
    it) or to a community (its own entries beside the county's)."""
    return depth == COUNTY_DEPTH or (depth > COUNTY_DEPTH and is_community(kind, sector))


def clean_skills(raw) -> list[str]:
    """The skills as labels: from a list or a typed text, trimmed, without empties or
    repeats, in the order given. Too many or too long a label is refused."""
    parts = _SEPARATORS.split(raw) if isinstance(raw, str) else [str(p) for p in raw or []]
    skills: list[str] = []
    for part in parts:
        label = part.strip()
        if not label or label in skills:
            continue
        if len(label) > MAX_SKILL_LENGTH:
            raise DomainError(
                "validation_error",
                _("每项技能不超过 %(n)d 个字：%(label)s") % {"n": MAX_SKILL_LENGTH, "label": label},
                field="skills",
            )
        skills.append(label)
    if len(skills) > MAX_SKILLS:
        raise DomainError(
            "validation_error", _("技能最多 %(n)d 项。") % {"n": MAX_SKILLS}, field="skills"
        )
    return skills


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required=True):
    """A trimmed text field: required ones refused empty, every one refused too long."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError(
            "validation_error", _("请填写%(label)s。") % {"label": label}, field=field
        )
    if len(text) > max_length:
        raise DomainError(
            "validation_error",
            _("%(label)s不超过 %(n)d 个字。") % {"label": label, "n": max_length},
            field=field,
        )
    return text
