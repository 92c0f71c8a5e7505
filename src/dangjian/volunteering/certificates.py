"""The certificate of volunteer service (志愿服务证明), as a PDF.

《志愿服务记录与证明出具办法（试行）》 (Ministry of Civil Affairs, 2021) has the organization
that recorded the service certify it, from its records, with: the volunteer's name and ID
number, the period of the service, what was done and how long, the certifying
organization's name and contact, the issue date (and its seal). Here: only an admin over
the organization that recorded the hours (`HoursEntry.org`) issues one, of that
organization's entries alone; each issue is audited, and its audit entry numbers it.

The text is drawn as attendance.posters draws its PDF: reportlab with the Chinese font it
embeds (core.pdffonts)."""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.attendance.posters import wrap_text
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pdffonts import register_cjk_font
from dangjian.registry.models import Member, Organization, User
from dangjian.volunteering.models import HoursEntry, HoursEntryKind


@dataclass(frozen=True)
class ServiceLine:
    served_on: date
    description: str
    hours: Decimal
    is_flagged: bool


@dataclass(frozen=True)
class CertificateText:
    """What the certificate says, field by field (the 2021 rules' list)."""

    serial: str
    volunteer: str
    id_number_masked: str
    period: tuple[date, date]
    lines: list[ServiceLine]
    total_hours: Decimal
    org_name: str
    contact: str
    issued_on: date


@dataclass(frozen=True)
class Certificate:
    serial: str
    filename: str
    pdf: bytes


def serial_number(org: Organization, issued_on: date, sequence: int) -> str:
    """ZYFW-<org>-<date>-<sequence>: the sequence is the issue's audit entry, so the number
    is unique and leads to who issued it and when."""
    return f"ZYFW-{org.pk:05d}-{issued_on:%Y%m%d}-{sequence:07d}"


def service_lines(entries) -> list[ServiceLine]:
    """The credits still standing (a reversed credit and its reversal both leave), oldest
    first."""
    reversed_ids = {e.reverses_id for e in entries if e.kind == HoursEntryKind.REVERSAL}
    kept = [e for e in entries if e.kind == HoursEntryKind.SERVICE and e.pk not in reversed_ids]
    kept.sort(key=lambda e: (e.served_on, e.pk))
    return [ServiceLine(e.served_on, e.description, e.hours, e.is_flagged) for e in kept]


def issue_certificate(*, actor: User, member: Member, org: Organization) -> Certificate:
    """The certificate of `member`'s service recorded by `org`, issued by `actor`: an admin
    over `org` (else `forbidden`) who may read the member's hours (else `not_found`). An
    organization that recorded none of them certifies nothing (`not_recording_org`)."""
    if not permissions.may_read_hours(actor, member):
        raise permissions.not_found()
    if not permissions.is_admin_over(actor, org):
        raise permissions.forbidden()
    entries = list(HoursEntry.objects.filter(member=member, org=org))
    if not entries:
        raise DomainError(
            "not_recording_org",
            _("%(org)s没有记录该志愿者的服务时长，只有记录时长的组织可以出具证明。")
            % {"org": org.name},
        )
    lines = service_lines(entries)
    if not lines:
        raise DomainError("no_hours", _("该志愿者在本组织的服务时长均已冲销，无可证明的时长。"))
    now = clock.now()
    issued_on = timezone.localdate(now)
    with transaction.atomic():
        entry = audit.record(
            actor=actor,
            action="volunteer_hours.certificate",
            obj=member,
            org=org,
            label=f"{member.name} 志愿服务证明",
            at=now,
        )
        text = CertificateText(
            serial=serial_number(org, issued_on, entry.pk),
            volunteer=member.name,
            id_number_masked=member.id_number_masked,
            period=(lines[0].served_on, lines[-1].served_on),
            lines=lines,
            total_hours=sum((line.hours for line in lines), Decimal("0.00")),
            org_name=org.name,
            contact=f"{actor.name} {actor.phone}",
            issued_on=issued_on,
        )
        entry.after = {
            "serial": text.serial,
            "total_hours": str(text.total_hours),
            "entries": len(lines),
        }
        entry.save(update_fields=["after"])
    return Certificate(
        serial=text.serial, filename=f"志愿服务证明-{text.serial}.pdf", pdf=certificate_pdf(text)
    )


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def certificate_pdf(text: CertificateText) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    width, height = A4
    margin = 22 * mm
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.setTitle(f"志愿服务证明 {text.serial}")
    c.setFillColorRGB(0.12, 0.14, 0.16)

    c.setFont(font, 24)
    c.drawCentredString(width / 2, height - 30 * mm, _("志愿服务证明"))
    c.setFont(font, 10)
    c.drawRightString(width - margin, height - 40 * mm, _("编号：%s") % text.serial)

    y = height - 54 * mm
    body = _(
        "兹证明 %(name)s（身份证号：%(id)s）于 %(start)s 至 %(end)s 期间，参加由 %(org)s "
        "记录的志愿服务，累计志愿服务时长 %(total)s 小时。具体服务如下："
    ) % {
        "name": text.volunteer,
        "id": text.id_number_masked,
        "start": _day(text.period[0]),
        "end": _day(text.period[1]),
        "org": text.org_name,
        "total": text.total_hours,
    }
    c.setFont(font, 12)
    for line in wrap_text(body, width - 2 * margin, lambda s: stringWidth(s, font, 12)):
        c.drawString(margin, y, line)
        y -= 12 * 1.7
    y -= 4 * mm

    # The services: date, content, hours (a flagged entry is marked: recorded by an admin
    # or made up after the fact, as the ledger shows it).
    c.setFont(font, 10.5)
    col_date, col_hours = margin, width - margin
    c.drawString(col_date, y, _("服务日期"))
    c.drawString(margin + 32 * mm, y, _("服务内容"))
    c.drawRightString(col_hours, y, _("时长（小时）"))
    y -= 3 * mm
    c.line(margin, y, width - margin, y)
    y -= 6 * mm
    content_width = width - 2 * margin - 32 * mm - 28 * mm
    for line in text.lines:
        if y < 60 * mm:
            c.showPage()
            c.setFont(font, 10.5)
            y = height - 30 * mm
        content = ("* " if line.is_flagged else "") + line.description
        wrapped = wrap_text(content, content_width, lambda s: stringWidth(s, font, 10.5))
        c.drawString(col_date, y, f"{line.served_on:%Y-%m-%d}")
        c.drawRightString(col_hours, y, f"{line.hours}")
        for part in wrapped[:3]:
            c.drawString(margin + 32 * mm, y, part)
            y -= 10.5 * 1.6
        y -= 1.5 * mm
    c.line(margin, y + 3 * mm, width - margin, y + 3 * mm)
    c.drawRightString(col_hours, y - 3 * mm, _("合计：%s 小时") % text.total_hours)

    y = max(y - 22 * mm, 50 * mm)
    c.setFont(font, 12)
    c.drawString(margin, y, _("特此证明。"))
    c.drawRightString(width - margin, y - 16 * mm, _("出具组织：%s（盖章）") % text.org_name)
    c.drawRightString(width - margin, y - 26 * mm, _("出具日期：%s") % _day(text.issued_on))
    c.setFont(font, 10)
    c.drawString(margin, 28 * mm, _("联系人及电话：%s") % text.contact)
    if any(line.is_flagged for line in text.lines):
        c.setFont(font, 8.5)
        c.drawString(margin, 34 * mm, _("* 标注者为管理员代为登记或事后补录、经审核的服务时长。"))
    c.setFont(font, 8.5)
    c.setFillColorRGB(0.42, 0.45, 0.5)
    c.drawString(
        margin,
        20 * mm,
        _("依据《志愿服务记录与证明出具办法（试行）》出具，时长以本组织的志愿服务记录为准。"),
    )
    c.showPage()
    c.save()
    return out.getvalue()
