"""Imports judge every cell with registry.validation.clean_text: control characters are
dropped (a tab or line break inside a one-line field reads as a space), so an imported
file cannot store text that breaks the exports."""

import pytest

from dangjian.registry.models import Member, Organization
from tests.registry.test_imports import import_orgs, person, run

pytestmark = pytest.mark.django_db


def test_imported_members_keep_no_control_characters(world):
    row = person(name="导入\x0b党员", is_flowing="是", flowing_location="广东省\x1b深圳市\t南山区")

    run(world, [row])

    member = Member.objects.get(name="导入党员")
    assert member.flowing_location == "广东省深圳市 南山区"


def test_imported_organizations_keep_no_control_characters(world):
    import_orgs(world, [["N-B1", "新村\r\n党支部", "T-A", "党支部", "农村", "\x1b五星\x07"]])

    org = Organization.objects.get(code="N-B1")
    assert (org.name, org.category) == ("新村  党支部", "五星")
