"""Photo intake: sniff the type from the bytes, read what the EXIF says (capture time,
position), then re-encode a clean JPEG with the orientation applied and a thumbnail.

Re-encoding is the sanitizing step: whatever a file carried besides pixels (scripts,
polyglot payloads, the EXIF itself with a member's home position) is not stored. The EXIF
facts we need are extracted first and kept in columns."""

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from dangjian.core.errors import DomainError

try:  # HEIC/HEIF from iPhones; pillow-heif registers an opener with Pillow.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - the dependency is pinned; keep JPEG/PNG working
    HEIF_AVAILABLE = False

# The Pillow format names each sniffed type may be opened as (no other decoder is tried).
PIL_FORMATS = {"jpeg": ["JPEG"], "png": ["PNG"], "webp": ["WEBP"], "heic": ["HEIF"]}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The image type from the first bytes of the file, or None. The name and the
    client's content type are never trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS and HEIF_AVAILABLE:
        return "heic"
    return None


@dataclass
class Processed:
    source_type: str
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: datetime | None
    latitude: Decimal | None
    longitude: Decimal | None


def _unsupported() -> DomainError:
    return DomainError("unsupported_file", _("只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片"))


def too_large(limit: int) -> DomainError:
    return DomainError(
        "file_too_large", _("照片不能超过 %s MB") % f"{limit / (1024 * 1024):g}", limit=limit
    )


def process(data: bytes, policy: dict | None = None) -> Processed:
    """Validate and re-encode one uploaded image. Raises `unsupported_file` for anything
    that is not a decodable JPEG/PNG/WebP/HEIC and `file_too_large` past the limits."""
    policy = policy or settings.PHOTO_POLICY
    if len(data) > policy["max_upload_bytes"]:
        raise too_large(policy["max_upload_bytes"])
    kind = sniff(data[:32])
    if kind is None:
        raise _unsupported()
    try:
        im = Image.open(io.BytesIO(data), formats=PIL_FORMATS[kind])
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _unsupported() from None
    except Image.DecompressionBombError:
        raise DomainError("file_too_large", _("照片像素过多，请压缩后再上传")) from None
    with im:
        width, height = im.size
        if width * height > policy["max_pixels"]:
            raise DomainError("file_too_large", _("照片像素过多，请压缩后再上传"))
        try:
            exif = im.getexif()
        except Exception:  # noqa: BLE001 - a broken EXIF block only means "no EXIF"
            exif = Image.Exif()
        taken_at = exif_time(exif)
        latitude, longitude = exif_position(exif)
        edge = policy["max_edge_px"]
        if kind == "jpeg":
            # Let the JPEG decoder scale down by a power of two while decoding: a 50 MP
            # photo then never exists in memory at full size.
            im.draft("RGB", (edge, edge))
        try:
            im.load()
            upright = ImageOps.exif_transpose(im)
        except (OSError, ValueError, SyntaxError):
            raise _unsupported() from None
        rgb = _as_rgb(upright)
    rgb.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    image = _jpeg(rgb, policy["jpeg_quality"])
    # Pathological content can defeat JPEG; step the quality down rather than store a file
    # larger than we accept.
    quality = policy["jpeg_quality"]
    while len(image) > policy["max_upload_bytes"] and quality > 40:
        quality -= 15
        image = _jpeg(rgb, quality)
    thumb = rgb.copy()
    thumb_edge = policy["thumb_edge_px"]
    thumb.thumbnail((thumb_edge, thumb_edge), Image.Resampling.LANCZOS)
    return Processed(
        source_type=kind,
        image=image,
        thumbnail=_jpeg(thumb, 80),
        width=rgb.width,
        height=rgb.height,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


def _as_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im.copy()
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if im.mode.startswith("I;16") or im.mode == "I":
        # 16-bit greyscale PNG: scale to 8 bits before converting.
        return im.point(lambda v: v / 256).convert("L").convert("RGB")
    return im.convert("RGB")


def _jpeg(im: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


# EXIF ------------------------------------------------------------------------------------

_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME_DIGITIZED = 0x9004
_TAG_OFFSET_ORIGINAL = 0x9011
_TAG_OFFSET = 0x9010


def exif_time(exif: Image.Exif) -> datetime | None:
    """The capture time: DateTimeOriginal (with its offset when the camera wrote one),
    else DateTimeDigitized, else the file's DateTime. Without an offset the time is the
    camera's local time, taken as the server's time zone (Asia/Shanghai)."""
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # noqa: BLE001
        sub = {}
    for value, offset in (
        (sub.get(_TAG_DATETIME_ORIGINAL), sub.get(_TAG_OFFSET_ORIGINAL)),
        (sub.get(_TAG_DATETIME_DIGITIZED), sub.get(_TAG_OFFSET)),
        (exif.get(_TAG_DATETIME), sub.get(_TAG_OFFSET)),
    ):
        parsed = _parse_exif_time(value, offset)
        if parsed is not None:
            return parsed
    return None


def _parse_exif_time(value, offset) -> datetime | None:
    if not isinstance(value, str | bytes):
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    value = value.strip("\x00 ").strip()
    try:
        naive = datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "ignore")
    if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
        try:
            return datetime.fromisoformat(naive.isoformat() + offset.strip("\x00 "))
        except ValueError:
            pass
    return naive.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def exif_position(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    """Latitude and longitude (WGS-84 decimal degrees) from the GPS IFD, or (None, None)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # noqa: BLE001
        return None, None
    if not gps:
        return None, None
    lat = _dms(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lng = _dms(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    if lat == 0 and lng == 0:  # written by apps that have no fix
        return None, None
    q = Decimal("0.000001")
    return Decimal(str(lat)).quantize(q), Decimal(str(lng)).quantize(q)


def _dms(value, ref, negative: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(v != v for v in (degrees, minutes, seconds)):  # NaN from a 0/0 rational
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        result = -result
    return result
