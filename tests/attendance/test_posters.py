"""The QR code really scans: decoded by a real decoder (zxing-cpp) from the PNG, from the
PNG poster, and from the PDF poster rendered to an image (pdfium)."""

import io

import pytest
from PIL import Image

from dangjian.attendance import posters, selectors
from dangjian.themedays import selectors as themedays_selectors
from tests.attendance.conftest import NOW

zxingcpp = pytest.importorskip("zxingcpp")
pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db


def decoded(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture
def url(activity, settings):
    assert settings.SITE_URL == "http://127.0.0.1:8000"
    return themedays_selectors.checkin_url(activity)


def test_the_qr_png_encodes_the_absolute_check_in_address_with_the_token(activity, url):
    assert url == f"http://127.0.0.1:8000/m/checkin/{activity.checkin_token}/"
    assert len(activity.checkin_token) >= 22  # 24 random bytes: 192 bits
    image = Image.open(io.BytesIO(posters.qr_png(url)))
    assert decoded(image) == [url]


def test_the_pdf_poster_rendered_to_an_image_scans_to_the_check_in_address(activity, url):
    data = posters.poster_pdf(activity, url, NOW)
    assert data.startswith(b"%PDF-")
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 1
    page = pdf[0]
    image = page.render(scale=150 / 72).to_pil()
    assert decoded(image) == [url]
    text = page.get_textpage().get_text_range()
    for expected in (activity.title, activity.branch.name, "村党员活动室", "08:30", "300 米"):
        assert expected in text


def test_the_png_poster_scans_to_the_check_in_address(activity, url):
    image = Image.open(io.BytesIO(posters.poster_png(activity, url, NOW)))
    assert image.size == (1240, 1754)
    assert decoded(image) == [url]


def test_the_rotating_screen_code_scans_to_the_address_with_the_current_code(world, activity):
    from dangjian.attendance import codes, services

    setting = services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=True)
    url = selectors.screen_url(activity, setting, NOW)
    assert url.endswith(f"?c={codes.code_at(setting.secret, NOW)}")
    image = Image.open(io.BytesIO(posters.qr_png(url)))
    assert decoded(image) == [url]


def test_the_poster_and_the_rotating_code_carry_the_configured_site_address(
    world, activity, settings
):
    from dangjian.attendance import services

    settings.SITE_URL = "https://dangjian.example.gov.cn"
    setting = services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=True)

    url = themedays_selectors.checkin_url(activity)
    assert url == f"https://dangjian.example.gov.cn/m/checkin/{activity.checkin_token}/"
    assert selectors.screen_url(activity, setting, NOW).startswith(url + "?c=")
    assert decoded(Image.open(io.BytesIO(posters.qr_png(url)))) == [url]
