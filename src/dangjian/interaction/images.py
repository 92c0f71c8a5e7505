"""Photo intake: sniff the type from the bytes, read what the EXIF says (capture time,
position), then re-encode a clean JPEG with the orientation applied and a thumbnail.

Re-encoding is the sanitizing step: whatever a file carried besides pixels (scripts,
polyglot payloads, the EXIF itself with a member's home position) is not stored. The EXIF
facts we need are extracted first and kept in columns.

`store_upload` is the whole intake of one upload (size check, `process`, both files kept)
for every image the platform takes: activity photos, articles' covers, volunteer orders'
photos."""

import io
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from dangjian.core import clock
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


def max_upload_mb(policy: dict | None = None) -> int:
    """The size limit in whole MB, rounded down, as the upload forms state it: a limit
    that is not a whole number of MB is stated below itself rather than above."""
    policy = policy or settings.PHOTO_POLICY
    return policy["max_upload_bytes"] // (1024 * 1024)


def too_many_pixels(limit: int) -> DomainError:
    megapixels = f"{limit // 100_000 / 10:g}"  # rounded down to a tenth
    return DomainError(
        "image_too_large",
        _("照片像素过多（最多 %(mp)s 百万像素），请缩小后再上传") % {"mp": megapixels},
        max_pixels=limit,
    )


# What decoding and scaling an image costs beyond its pixels, as a divisor of the pixel
# ceiling: an alpha channel or 16-bit samples make a second full-size copy as the image is
# scaled (Pillow scales transparency premultiplied); Pillow's WebP decoder holds a
# full-size canvas and hands over a copy of it, whatever the image.
ALPHA_COST = 1.5
WEBP_COST = 3
# Modes that take no extra copy.
PLAIN_MODES = {"RGB", "L", "CMYK", "YCbCr", "1"}


def pixel_limit(kind: str, mode: str, info: dict, policy: dict) -> int:
    """The most pixels an image of this type and mode may decode to."""
    if kind == "webp":
        cost = WEBP_COST
    elif mode in PLAIN_MODES or (mode == "P" and "transparency" not in info):
        cost = 1
    else:
        cost = ALPHA_COST
    return int(policy["max_pixels"] / cost)


# EXIF orientation → the transposition that makes the image upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Modes Pillow scales as they are; the others are converted first.
SCALABLE_MODES = {"RGB", "RGBA", "L", "LA", "CMYK"}


def _check_pixels(size: tuple[int, int] | None, limit: int) -> None:
    if size is None:
        raise _unsupported()
    if size[0] * size[1] > limit:
        raise too_many_pixels(limit)


def process(data: bytes, policy: dict | None = None) -> Processed:
    """Validate and re-encode one uploaded image. Raises `unsupported_file` for anything
    that is not a decodable JPEG/PNG/WebP/HEIC, `file_too_large` past the size limit and
    `image_too_large` past the pixel ceiling.

    The ceiling counts the pixels that are decoded, and is checked before any of them
    are: what a worker holds at the peak is a few times that (docs/performance.md,
    "Photo uploads"). A JPEG is decoded already scaled down (by 1/2, 1/4 or 1/8) to what
    the stored size needs; every image is scaled down before it is turned upright or
    converted, so only the decoded image itself is ever full size."""
    policy = policy or settings.PHOTO_POLICY
    if len(data) > policy["max_upload_bytes"]:
        raise too_large(policy["max_upload_bytes"])
    kind = sniff(data[:32])
    if kind is None:
        raise _unsupported()
    if kind == "webp":
        # Pillow's WebP decoder allocates its canvas as the file is opened.
        _check_pixels(webp_size(data[:30]), pixel_limit(kind, "RGBA", {}, policy))
    try:
        im = Image.open(io.BytesIO(data), formats=PIL_FORMATS[kind])
    except Image.DecompressionBombError:
        raise too_many_pixels(pixel_limit(kind, "RGB", {}, policy)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _unsupported() from None
    edge = policy["max_edge_px"]
    with im:
        if kind == "jpeg":
            # `size` becomes what the decoder will produce: the smallest power-of-two
            # scale that still covers the stored size.
            im.draft("RGB", _fitted(im.size, edge))
        _check_pixels(im.size, pixel_limit(kind, im.mode, im.info, policy))
        try:
            exif = im.getexif()
        except Exception:  # noqa: BLE001 - a broken EXIF block only means "no EXIF"
            exif = Image.Exif()
        taken_at = exif_time(exif)
        latitude, longitude = exif_position(exif)
        try:
            im.load()
            rgb = _scaled_rgb(im, edge)
        except (OSError, ValueError, SyntaxError):
            raise _unsupported() from None
    upright = UPRIGHT.get(exif.get(ExifTags.Base.Orientation))
    if upright is not None:
        rgb = rgb.transpose(upright)
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


@dataclass
class StoredImage:
    """An upload processed and kept in storage (the image and its thumbnail), before any row
    names it: the caller writes the row, or `discard`s the files if that is refused."""

    processed: Processed
    image: str
    thumbnail: str
    # The upload's bytes as read (the activity photo keeps it as its original size).
    original_size: int

    def discard(self) -> None:
        for name in (self.image, self.thumbnail):
            default_storage.delete(name)


def store_upload(file, *, folder: str, policy: dict | None = None) -> StoredImage:
    """Check, `process` and store one uploaded image under `folder/<year>/<month>/`. A file
    that says it is too large is refused before it is read, and never more than one byte
    past the limit is read, so a huge upload is not held whole; `process` refuses that byte
    with the same `file_too_large`. Nothing is stored when the image is refused."""
    policy = policy or settings.PHOTO_POLICY
    limit = policy["max_upload_bytes"]
    if (getattr(file, "size", None) or 0) > limit:
        raise too_large(limit)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    processed = process(data, policy)
    image = default_storage.save(_stored_name(folder, ""), ContentFile(processed.image))
    thumbnail = default_storage.save(_stored_name(folder, "_t"), ContentFile(processed.thumbnail))
    return StoredImage(processed, image, thumbnail, original_size=len(data))


def _stored_name(folder: str, suffix: str) -> str:
    return f"{folder}/{clock.now():%Y/%m}/{secrets.token_hex(16)}{suffix}.jpg"


def _fitted(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled down, keeping its proportions, to fit `edge` × `edge`."""
    ratio = min(1.0, edge / max(size))
    return max(1, round(size[0] * ratio)), max(1, round(size[1] * ratio))


def webp_size(head: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP file declares (its first 30 bytes), or None."""
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _scaled_rgb(im: Image.Image, edge: int) -> Image.Image:
    """The loaded image scaled down to fit `edge` × `edge`, in RGB (transparency on white).
    Scaled in place first, so that laying it on white and converting copy the small
    image, not the decoded one. Palette, 1-bit and 16-bit images are converted to RGB(A)
    first, as Pillow scales them poorly or not at all."""
    if im.mode not in SCALABLE_MODES:
        im = _as_rgba_or_rgb(im)
    im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return _as_rgb(im)


def _as_rgba_or_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("PA", "La", "RGBa") or (im.mode == "P" and "transparency" in im.info):
        return im.convert("RGBA")
    if im.mode.startswith("I;16") or im.mode == "I":
        # 16-bit greyscale PNG: scale to 8 bits before converting.
        return im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


def _as_rgb(im: Image.Image) -> Image.Image:
    """A new RGB image of `im` (scaled already, in one of SCALABLE_MODES)."""
    if im.mode == "RGB":
        return im.copy()
    if im.mode in ("RGBA", "LA"):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
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
