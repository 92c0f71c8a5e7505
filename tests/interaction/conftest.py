"""An approved theme-day activity of county A's branch on 2026-12-10 09:00–11:00 at the
village activity room, real images built with Pillow (with or without EXIF), and a
throw-away MEDIA_ROOT for every test."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from dangjian.themedays import services as themedays
from tests.themedays.conftest import DAY, NOW, SHANGHAI, plan_kwargs

VENUE = (Decimal("33.067800"), Decimal("107.023400"))
# About 1.1 km north of the venue: well outside its 300 m radius.
FAR = (Decimal("33.077800"), Decimal("107.023400"))
DURING = DAY + timedelta(hours=1)  # 10:00, the activity is on
AFTER_CLOSE = DAY + timedelta(hours=5)  # 14:00; the check-out window closed at 12:00


def use_tmp_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COMMENT_FORBIDDEN_WORDS = ["法轮功", "赌博"]
    # These tests travel days ahead; tokens issued "before" must still work.
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


def approved_activity(world):
    """Approved on 2026-12-01; held on the 10th, 09:00–11:00."""
    with time_machine.travel(NOW, tick=False):
        campaign = themedays.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="学习贯彻党的二十届四中全会精神",
            holding_from=date(2026, 12, 1),
            holding_until=date(2026, 12, 20),
        )
        activity = themedays.draft_activity(
            actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
        )
        themedays.submit_activity(actor=world.a.branch_admin, activity=activity)
        return themedays.approve_activity(actor=world.a.admin, activity=activity)


@pytest.fixture
def activity(world):
    return approved_activity(world)


@pytest.fixture
def during():
    with time_machine.travel(DURING, tick=False) as traveller:
        yield traveller


def _dms(value: Decimal):
    value = abs(float(value))
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = ((value - degrees) * 60 - minutes) * 60
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(round(seconds * 1e4), 10000),
    )


def image_bytes(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (800, 600),
    taken_at: datetime | None = None,
    gps: tuple[Decimal, Decimal] | None = None,
    orientation: int | None = None,
    color=(200, 30, 30),
    noise: bool = False,
) -> bytes:
    """A real image, optionally with EXIF capture time, GPS position and orientation."""
    if noise:
        # Smooth random texture: photo-like, so that it does not compress to nothing.
        import os

        w, h = max(1, size[0] // 10), max(1, size[1] // 10)
        im = Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))
        im = im.resize(size, Image.Resampling.BILINEAR)
    else:
        im = Image.new("RGB", size, color)
        # A marker in the top-left corner, to see where it ends up after rotation.
        im.paste((0, 255, 0), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken_at is not None:
        local = taken_at.astimezone(SHANGHAI)
        exif[ExifTags.IFD.Exif] = {
            ExifTags.Base.DateTimeOriginal: local.strftime("%Y:%m:%d %H:%M:%S"),
            ExifTags.Base.OffsetTimeOriginal: "+08:00",
        }
    if gps is not None:
        lat, lng = gps
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lng >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(lng),
        }
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    kwargs = {"exif": exif.tobytes()} if len(exif) else {}
    if fmt == "JPEG":
        kwargs["quality"] = 90
    im.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# An ELF executable header followed by code-like bytes: what `mv a.out photo.jpg` gives.
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x90" * 4000
