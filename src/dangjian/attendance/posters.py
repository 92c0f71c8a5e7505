"""The check-in QR code and the printable poster (PNG and PDF) of an activity.

The QR code is made by segno and encodes the absolute check-in address (SITE_URL + the
activity's secret token). The PDF is drawn by reportlab: the QR as vector squares (sharp
at any print size) and the Chinese text in the font it embeds (core.pdffonts: a print shop
prints the glyphs the file carries, not a substitute). The PNG poster is drawn with Pillow and
needs a CJK font on the server: Debian's fonts-noto-cjk (see `POSTER_FONT_PATH`)."""

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import segno
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dangjian.core import site
from dangjian.core.pdffonts import register_cjk_font
from dangjian.themedays.models import Activity

log = logging.getLogger(__name__)

# Fonts with Simplified Chinese glyphs that Pillow can open, most wanted first.
FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]


def make_qr(url: str) -> segno.QRCode:
    # Error correction M survives a crease or a smudge on a printed poster.
    return segno.make(url, error="m", micro=False)


def qr_png(url: str, *, scale: int = 10) -> bytes:
    out = io.BytesIO()
    make_qr(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 8) -> str:
    """Inline SVG (for the rotating code on a screen)."""
    return make_qr(url).svg_inline(scale=scale, border=2, omitsize=True)


@dataclass(frozen=True)
class PosterText:
    heading: str
    title: str
    branch: str
    when: str
    venue: str
    steps: list[str]
    footer: str


def _hm(at: datetime) -> str:
    return formats.date_format(timezone.localtime(at), "H:i")


def poster_text(activity: Activity, now: datetime) -> PosterText:
    start = timezone.localtime(activity.starts_at)
    return PosterText(
        heading=_("主题党日 · 扫码签到"),
        title=activity.title,
        branch=activity.branch.name,
        when=_("时间：%(day)s %(start)s–%(end)s")
        % {
            "day": formats.date_format(start, _("Y年n月j日")),
            "start": _hm(activity.starts_at),
            "end": _hm(activity.ends_at),
        },
        venue=_("地点：%s") % activity.venue_address,
        steps=[
            _("1. 用微信或手机浏览器扫描上方二维码，登录后允许获取位置。"),
            _("2. 签到时间 %(open)s–%(close)s，须在活动地点 %(radius)d 米范围内。")
            % {
                "open": _hm(activity.checkin_opens_at),
                "close": _hm(activity.checkin_closes_at),
                "radius": activity.radius_m,
            },
            _("3. 活动结束后再次扫码签退（%(open)s–%(close)s），并填写心得体会。")
            % {"open": _hm(activity.ends_at), "close": _hm(activity.checkout_closes_at)},
        ],
        footer=_("二维码更换后本海报即失效 · 生成于 %s")
        % formats.date_format(timezone.localtime(now), "Y-m-d H:i"),
    )


# PDF -------------------------------------------------------------------------------------


def wrap_text(text: str, width: float, measure) -> list[str]:
    """Greedy line breaking by width, character by character (Chinese has no spaces)."""
    lines, line = [], ""
    for ch in text:
        if measure(line + ch) > width and line:
            lines.append(line)
            line = ch.lstrip()
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


def poster_pdf(activity: Activity, url: str, now: datetime) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    text = poster_text(activity, now)
    width, height = A4
    margin = 20 * mm
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.setTitle(f"{text.heading} {text.title}")
    c.setAuthor(site.site_url())

    red = (0.784, 0.086, 0.114)
    c.setFillColorRGB(*red)
    c.rect(0, height - 32 * mm, width, 32 * mm, fill=1, stroke=0)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(font, 26)
    c.drawCentredString(width / 2, height - 20 * mm, text.heading)

    y = height - 48 * mm
    c.setFillColorRGB(0.12, 0.14, 0.16)
    for size, line_text in ((20, text.title), (14, text.branch)):
        c.setFont(font, size)
        for line in wrap_text(
            line_text, width - 2 * margin, lambda s, z=size: stringWidth(s, font, z)
        ):
            c.drawCentredString(width / 2, y, line)
            y -= size * 1.5
        y -= 4

    # The QR code as vector squares, runs of dark modules merged into one rectangle.
    matrix = [list(row) for row in make_qr(url).matrix_iter(scale=1, border=4)]
    side = 110 * mm
    module = side / len(matrix)
    left = (width - side) / 2
    top = y - 6 * mm
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                c.rect(
                    left + start * module,
                    top - (r + 1) * module,
                    (col - start) * module,
                    module,
                    fill=1,
                    stroke=0,
                )
            else:
                col += 1
    y = top - side - 10 * mm

    c.setFillColorRGB(0.12, 0.14, 0.16)
    for size, line_text in ((13, text.when), (13, text.venue)):
        c.setFont(font, size)
        for line in wrap_text(
            line_text, width - 2 * margin, lambda s, z=size: stringWidth(s, font, z)
        ):
            c.drawString(margin, y, line)
            y -= size * 1.6
    y -= 3 * mm
    c.setFont(font, 12)
    for step in text.steps:
        for line in wrap_text(step, width - 2 * margin, lambda s: stringWidth(s, font, 12)):
            c.drawString(margin, y, line)
            y -= 12 * 1.6
    c.setFont(font, 9)
    c.setFillColorRGB(0.42, 0.45, 0.5)
    c.drawCentredString(width / 2, 12 * mm, text.footer)
    c.showPage()
    c.save()
    return out.getvalue()


# PNG -------------------------------------------------------------------------------------


@cache
def _font_file() -> tuple[str, int] | None:
    """A font file with Simplified Chinese glyphs, and the face index in it."""
    from PIL import ImageFont

    configured = settings.POSTER_FONT_PATH
    for path in [configured, *FONT_CANDIDATES] if configured else FONT_CANDIDATES:
        if not path or not Path(path).exists():
            continue
        for index in range(10):
            try:
                name = ImageFont.truetype(path, 12, index=index).getname()[0]
            except OSError:
                break
            if "SC" in name or "Hei" in name or "Fallback" in name or path == configured:
                return path, index
        return path, 0
    log.warning("No CJK font found for the PNG poster: install fonts-noto-cjk")
    return None


def _font(size: int):
    from PIL import ImageFont

    found = _font_file()
    if found is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(found[0], size, index=found[1])


def poster_png(activity: Activity, url: str, now: datetime) -> bytes:
    """A 1240×1754 px poster (A4 at 150 dpi)."""
    from PIL import Image, ImageDraw

    text = poster_text(activity, now)
    width, height, margin = 1240, 1754, 110
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, width, 190], fill=(200, 22, 29))
    heading = _font(64)
    draw.text((width / 2, 95), text.heading, font=heading, fill="white", anchor="mm")

    y = 260
    for size, line_text in ((50, text.title), (34, text.branch)):
        font = _font(size)
        for line in wrap_text(line_text, width - 2 * margin, lambda s, f=font: f.getlength(s)):
            draw.text((width / 2, y), line, font=font, fill=(31, 35, 40), anchor="mt")
            y += int(size * 1.45)
        y += 10

    # Whole pixels per module, so that every module prints the same size.
    modules = make_qr(url).symbol_size(scale=1, border=4)[0]
    qr = Image.open(io.BytesIO(qr_png(url, scale=max(4, 660 // modules)))).convert("L")
    y += 20
    img.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height + 40

    body = _font(32)
    for line_text in (text.when, text.venue):
        for line in wrap_text(line_text, width - 2 * margin, body.getlength):
            draw.text((margin, y), line, font=body, fill=(31, 35, 40))
            y += 50
    y += 16
    steps = _font(29)
    for step in text.steps:
        for line in wrap_text(step, width - 2 * margin, steps.getlength):
            draw.text((margin, y), line, font=steps, fill=(31, 35, 40))
            y += 46
    small = _font(22)
    draw.text((width / 2, height - 50), text.footer, font=small, fill=(107, 114, 128), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
