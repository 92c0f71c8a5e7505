"""The Chinese font of the platform's PDFs (core.pdffonts): where the server lacks it, the
refusal names the package to install. That the PDFs embed it: tests/attendance/
test_poster_fonts.py and tests/supervision/test_bulletins.py."""

import pytest

from dangjian.core import pdffonts


def test_a_server_without_the_font_is_told_which_package_to_install(monkeypatch):
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(pdffonts, "FONT_FILES", ("/nonexistent/wqy-zenhei.ttc",))
    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])

    with pytest.raises(pdffonts.DomainError) as refused:
        pdffonts.register_cjk_font()

    assert refused.value.code == "font_missing"
    assert "fonts-wqy-zenhei" in refused.value.message
