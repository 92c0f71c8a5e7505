"""The certificate of volunteer service: only from the organization that recorded the
hours, with the fields the 2021 rules ask for, each issue audited and numbered."""

from datetime import timedelta
from decimal import Decimal

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.volunteering import certificates, hours
from dangjian.volunteering.models import Claim, OrderState
from tests.factories import make_admin, make_member
from tests.volunteering.conftest import make_category, make_citizen, make_order

pytestmark = pytest.mark.django_db
pdfium = pytest.importorskip("pypdfium2")


def credited(world, citizen, category, member, minutes=120):
    order = make_order(citizen, category, state=OrderState.COMPLETED)
    start = order.wanted_from
    claim = Claim.objects.create(
        order=order,
        member=member,
        state="signed_out",
        claimed_at=start - timedelta(hours=3),
        signed_in_at=start,
        signed_out_at=start + timedelta(minutes=minutes),
        hours=hours.hours_of(start, start + timedelta(minutes=minutes)),
    )
    return hours.credit_claim(claim=claim, recorded_by=None)


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_the_recording_organization_certifies_with_the_required_fields(world, citizen, category):
    member = world.a.member
    credited(world, citizen, category, member, minutes=120)
    reversed_one = credited(world, citizen, category, member, minutes=60)
    hours.reverse_hours_entry(actor=world.a.admin, entry=reversed_one, reason="重复登记")
    cert = certificates.issue_certificate(
        actor=world.a.branch_admin, member=member, org=world.a.branch
    )
    assert cert.pdf.startswith(b"%PDF")
    text = pdf_text(cert.pdf)
    for field in (
        "志愿服务证明",
        member.name,
        member.id_number_masked,
        world.a.branch.name,
        cert.serial,
        "2.00",  # the standing hours: the reversed credit is left out
        world.a.branch_admin.phone,  # contact
        "出具日期",
    ):
        assert field in text, field
    entry = AuditEntry.objects.get(action="volunteer_hours.certificate")
    assert entry.after["serial"] == cert.serial and entry.org == world.a.branch
    assert entry.actor == world.a.branch_admin
    assert entry.after["total_hours"] == "2.00"
    again = certificates.issue_certificate(actor=world.a.admin, member=member, org=world.a.branch)
    assert again.serial != cert.serial


def test_only_the_organization_that_recorded_the_hours_certifies_them(world, citizen, category):
    # A member of the other branch served the village's order (双报到): the village
    # recorded the hours, so its admins certify; their own branch's admin does not.
    volunteer = make_member(world.city_admin, world.a.other_branch, name="社区党员")
    own_secretary = make_admin(world.city_admin, world.a.other_branch, "社区书记")
    credited(world, citizen, category, volunteer)
    with pytest.raises(DomainError) as caught:
        certificates.issue_certificate(
            actor=own_secretary, member=volunteer, org=world.a.other_branch
        )
    assert caught.value.code == "not_recording_org"
    with pytest.raises(DomainError, match="forbidden"):
        certificates.issue_certificate(actor=own_secretary, member=volunteer, org=world.a.branch)
    for user in (world.b.admin, world.outsider, world.a.member.user):
        with pytest.raises(DomainError, match="not_found"):
            certificates.issue_certificate(actor=user, member=volunteer, org=world.a.branch)
    # Hours recorded elsewhere are not the village's to certify.
    other_citizen = make_citizen(world.a.other_branch, name="李大爷")
    credited(world, other_citizen, make_category(world.a.other_branch, "送健康"), volunteer)
    cert = certificates.issue_certificate(
        actor=world.a.branch_admin, member=volunteer, org=world.a.branch
    )
    text = pdf_text(cert.pdf)
    assert "2.00" in text and "4.00" not in text
    assert hours.totals_of(volunteer).hours == Decimal("4.00")
    assert not AuditEntry.objects.filter(
        action="volunteer_hours.certificate", actor=own_secretary
    ).exists()


def test_nothing_is_certified_once_every_credit_is_reversed(world, citizen, category):
    entry = credited(world, citizen, category, world.a.member)
    hours.reverse_hours_entry(actor=world.a.admin, entry=entry, reason="误记")
    with pytest.raises(DomainError, match="no_hours"):
        certificates.issue_certificate(
            actor=world.a.admin, member=world.a.member, org=world.a.branch
        )


def test_the_serial_number_names_the_org_the_day_and_the_issue():
    from datetime import date

    from dangjian.registry.models import Organization

    org = Organization(pk=42)
    assert certificates.serial_number(org, date(2026, 12, 6), 315) == "ZYFW-00042-20261206-0000315"
