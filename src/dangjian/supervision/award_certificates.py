"""The certificate of a quarterly award (荣誉证书), as a PDF: for a selected nomination of a
published round, read by whoever may read the nomination. Drawn as attendance.posters draws
its PDF: reportlab with the Chinese font it embeds (core.pdffonts)."""

import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.attendance.posters import wrap_text
from dangjian.core.errors import DomainError
from dangjian.core.pdffonts import register_cjk_font
from dangjian.permissions import Action
from dangjian.registry.models import User
from dangjian.supervision.models import AwardKind, AwardRoundStatus, Nomination


@dataclass(frozen=True)
class Certificate:
    filename: str
    pdf: bytes


def serial_number(nomination: Nomination) -> str:
    """Stable: the round's quarter, the kind and the nomination."""
    return f"{nomination.round.period.label}-{nomination.kind.upper()}-{nomination.pk:06d}"


def certificate_text(nomination: Nomination) -> tuple[str, str]:
    """(who is honoured, what for): the branch or the member, and the case's title."""
    title = _("%(quarter)s%(kind)s") % {
        "quarter": nomination.round.label,
        "kind": AwardKind(nomination.kind).label,
    }
    if nomination.kind == AwardKind.MEMBER:
        who = _("%(branch)s %(name)s 同志") % {
            "branch": nomination.branch.name,
            "name": nomination.member.name,
        }
        body = _("被评为%s，特发此证，以资鼓励。") % title
    elif nomination.kind == AwardKind.CASE:
        who = nomination.branch.name
        body = _("报送的案例《%(case)s》被评为%(title)s，特发此证，以资鼓励。") % {
            "case": nomination.case.title,
            "title": title,
        }
    else:
        who = nomination.branch.name
        body = _("被评为%s，特发此证，以资鼓励。") % title
    return who, body


def award_certificate(*, actor: User, nomination: Nomination) -> Certificate:
    """The certificate of a selected nomination once the round is published."""
    permissions.require(actor, Action.READ, nomination)
    if nomination.round.status != AwardRoundStatus.PUBLISHED:
        raise DomainError("not_published", _("评选结果尚未公布"))
    if not nomination.is_selected:
        raise DomainError("not_selected", _("该推荐未获评选，没有证书"))
    serial = serial_number(nomination)
    return Certificate(filename=f"荣誉证书-{serial}.pdf", pdf=certificate_pdf(nomination))


def shown_certificate(*, actor: User, nomination: Nomination) -> Certificate | None:
    """The certificate for a page, None while there is none to show (the round not
    published, the nomination not selected), which the pages answer as not found."""
    try:
        return award_certificate(actor=actor, nomination=nomination)
    except DomainError as exc:
        if exc.code in ("not_published", "not_selected"):
            return None
        raise


def certificate_pdf(nomination: Nomination) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    width, height = landscape(A4)
    margin = 30 * mm
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height), invariant=True)
    serial = serial_number(nomination)
    c.setTitle(f"荣誉证书 {serial}")

    # A red double border, as printed certificates have.
    c.setStrokeColorRGB(0.72, 0.07, 0.07)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(1)
    c.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

    c.setFillColorRGB(0.72, 0.07, 0.07)
    c.setFont(font, 36)
    c.drawCentredString(width / 2, height - 45 * mm, _("荣誉证书"))
    c.setFillColorRGB(0.12, 0.14, 0.16)
    c.setFont(font, 10)
    c.drawRightString(width - margin, height - 26 * mm, _("编号：%s") % serial)

    who, body = certificate_text(nomination)
    y = height - 72 * mm
    c.setFont(font, 18)
    c.drawString(margin, y, f"{who}：")
    y -= 14 * mm
    c.setFont(font, 16)
    for line in wrap_text("　　" + body, width - 2 * margin, lambda s: stringWidth(s, font, 16)):
        c.drawString(margin, y, line)
        y -= 16 * 1.8

    published = timezone.localdate(nomination.round.published_at)
    c.setFont(font, 14)
    c.drawRightString(width - margin, 42 * mm, nomination.round.org.name)
    c.drawRightString(
        width - margin,
        32 * mm,
        _("%(y)d年%(m)d月%(d)d日")
        % {"y": published.year, "m": published.month, "d": published.day},
    )
    c.showPage()
    c.save()
    return out.getvalue()
