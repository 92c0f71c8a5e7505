"""The phone page a published bulletin's notice links to, and its PDF: for the members of
the subtree once published, never a draft, and never for those outside."""

import pytest

from dangjian.supervision import bulletins
from dangjian.supervision.models import Bulletin
from tests.scoring.conftest import clock  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def draft(world, clock):  # noqa: F811
    return bulletins.generate_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)


def test_a_member_of_the_subtree_opens_the_published_pdf_from_the_notice(world, page, draft):
    member = page(world.a.member.user)
    assert member.get(f"/m/bulletins/{draft.pk}/").status_code == 404
    assert member.get(f"/m/bulletins/{draft.pk}/bulletin.pdf").status_code == 404
    bulletins.publish_bulletin(actor=world.a.admin, bulletin=draft)
    shown = member.get(f"/m/bulletins/{draft.pk}/").content.decode()
    assert draft.title in shown and f"/m/bulletins/{draft.pk}/bulletin.pdf" in shown
    pdf = member.get(f"/m/bulletins/{draft.pk}/bulletin.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_superseded_version_points_to_its_correction(world, page, draft):
    bulletins.publish_bulletin(actor=world.a.admin, bulletin=draft)
    v2 = bulletins.correct_bulletin(actor=world.a.admin, bulletin=draft, reason="更正数据")
    bulletins.publish_bulletin(actor=world.a.admin, bulletin=v2)
    shown = page(world.a.member.user).get(f"/m/bulletins/{draft.pk}/").content.decode()
    assert "本版已被更正" in shown and f"/m/bulletins/{v2.pk}/" in shown


def test_members_elsewhere_and_outsiders_see_nothing(world, page, draft):
    bulletins.publish_bulletin(actor=world.a.admin, bulletin=draft)
    for user in (world.b.member.user, world.outsider):
        assert page(user).get(f"/m/bulletins/{draft.pk}/").status_code == 404
        assert page(user).get(f"/m/bulletins/{draft.pk}/bulletin.pdf").status_code == 404
    anonymous = page(None).get(f"/m/bulletins/{draft.pk}/")
    assert anonymous.status_code == 302
    assert Bulletin.objects.count() == 1
