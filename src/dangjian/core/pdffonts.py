"""The Chinese font every PDF the platform draws with reportlab embeds: posters,
certificates, the ledger, the monthly sheet and the quarterly bulletin.

reportlab's built-in CID fonts (STSong-Light) are only named in the file, and a reader or a
print shop without that font shows other glyphs or none. These PDFs are printed and filed,
so each carries the subset of a TrueType font it uses: WenQuanYi Zen Hei (Debian's
fonts-wqy-zenhei), whose outlines are TrueType (reportlab cannot embed the CFF outlines of
Noto CJK or Source Han)."""

from pathlib import Path

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

FONT_NAME = "WenQuanYiZenHei"
# Where Debian (fonts-wqy-zenhei) and other systems put the font.
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/local/share/fonts/wqy-zenhei.ttc",
)


def font_file() -> str:
    """The font's file, or `font_missing` when the server has none."""
    found = next((path for path in FONT_FILES if Path(path).is_file()), None)
    if found is None:
        raise DomainError(
            "font_missing",
            _("服务器缺少嵌入 PDF 所需的中文字体（fonts-wqy-zenhei），请联系运维人员安装。"),
        )
    return found


def register_cjk_font() -> str:
    """Register the font with reportlab once per process; its name for `setFont` and
    paragraph styles. reportlab embeds the subset of glyphs a document draws."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, font_file(), subfontIndex=0))
    return FONT_NAME
