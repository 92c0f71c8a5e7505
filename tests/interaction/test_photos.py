"""Photos: the type comes from the content, the size is limited, the image is re-encoded
upright without its metadata, and the EXIF time and position are checked against the
activity."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import services
from dangjian.interaction.models import Evidence, Photo
from tests.interaction.conftest import (
    AFTER_CLOSE,
    DAY,
    DURING,
    EXECUTABLE,
    FAR,
    VENUE,
    image_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def add(world, activity, data, name="photo.jpg", actor=None):
    return services.upload_photo(
        actor=actor or world.a.branch_admin, activity=activity, file=upload(data, name), name=name
    )


def refused(world, activity, data, name="photo.jpg") -> DomainError:
    with pytest.raises(DomainError) as exc:
        add(world, activity, data, name)
    return exc.value


def test_an_executable_renamed_jpg_is_refused_and_nothing_is_stored(world, activity, during):
    error = refused(world, activity, EXECUTABLE, name="活动照片.jpg")
    assert error.code == "unsupported_file"
    assert "JPEG" in error.message
    assert Photo.objects.count() == 0
    assert not (default_storage.exists("photos"))


def test_text_and_a_jpeg_header_followed_by_garbage_are_refused(world, activity, during):
    assert refused(world, activity, b"<?php system($_GET['c']); ?>").code == "unsupported_file"
    assert refused(world, activity, b"\xff\xd8\xff\xe0" + b"\x00" * 500).code == (
        "unsupported_file"
    )


def test_a_real_jpeg_with_exif_time_and_gps_inside_the_activity_passes(world, activity, during):
    photo = add(world, activity, image_bytes(taken_at=DAY + timedelta(minutes=20), gps=VENUE))
    assert photo.evidence == Evidence.VERIFIED
    assert photo.flags == []
    assert photo.taken_at == DAY + timedelta(minutes=20)
    assert (photo.gps_latitude, photo.gps_longitude) == VENUE
    assert photo.distance_m == 0
    assert photo.source_type == "jpeg"
    assert not photo.is_late


def test_a_photo_taken_outside_the_activity_time_is_flagged(world, activity, during):
    photo = add(world, activity, image_bytes(taken_at=DAY - timedelta(days=3), gps=VENUE))
    assert photo.evidence == Evidence.FLAGGED
    assert photo.is_time_mismatch and not photo.is_location_mismatch
    assert photo.flags == ["time_outside_activity"]


def test_the_time_tolerance_comes_from_the_settings(world, activity, during, settings):
    early = DAY - timedelta(minutes=50)
    assert add(world, activity, image_bytes(taken_at=early)).evidence == Evidence.VERIFIED
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "time_tolerance_min": 30}
    assert add(world, activity, image_bytes(taken_at=early)).evidence == Evidence.FLAGGED


def test_a_photo_taken_far_from_the_venue_is_flagged(world, activity, during):
    photo = add(world, activity, image_bytes(taken_at=DAY + timedelta(minutes=5), gps=FAR))
    assert photo.evidence == Evidence.FLAGGED
    assert photo.is_location_mismatch and not photo.is_time_mismatch
    assert 1000 < photo.distance_m < 1200
    assert photo.flags == ["far_from_venue"]


def test_a_photo_without_exif_is_unverified_not_refused(world, activity, during):
    photo = add(world, activity, image_bytes())
    assert photo.evidence == Evidence.UNVERIFIED
    assert photo.taken_at is None and photo.gps_latitude is None and photo.distance_m is None
    assert photo.flags == ["unverified"]


def test_png_webp_and_heic_from_phones_are_accepted_by_content(world, activity, during):
    for fmt, kind in (("PNG", "png"), ("WEBP", "webp"), ("HEIF", "heic")):
        # The name lies on purpose: only the content counts.
        photo = add(world, activity, image_bytes(fmt, size=(640, 480)), name="x.bin")
        assert photo.source_type == kind
        assert (photo.width, photo.height) == (640, 480)


def test_a_heic_with_exif_is_checked_like_a_jpeg(world, activity, during):
    data = image_bytes("HEIF", size=(320, 240), taken_at=DAY, gps=FAR)
    photo = add(world, activity, data, name="IMG_0001.HEIC")
    assert photo.source_type == "heic"
    assert photo.taken_at == DAY
    assert photo.is_location_mismatch


def test_the_stored_image_is_upright_without_exif_and_has_a_thumbnail(world, activity, during):
    # Orientation 6: the camera was turned; the stored image must be rotated 90° clockwise.
    data = image_bytes(size=(800, 600), orientation=6, taken_at=DAY, gps=VENUE)
    photo = add(world, activity, data)
    assert (photo.width, photo.height) == (600, 800)
    with default_storage.open(photo.image.name) as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert stored.format == "JPEG"
    assert stored.size == (600, 800)
    # The green marker of the top-left corner is now at the top right.
    assert stored.getpixel((590, 10))[1] > 200 and stored.getpixel((10, 10))[0] > 150
    assert len(stored.getexif()) == 0  # no GPS of anyone's home left in the file
    with default_storage.open(photo.thumbnail.name) as f:
        thumb = Image.open(io.BytesIO(f.read()))
    assert max(thumb.size) == 480 and thumb.format == "JPEG"


def test_a_huge_image_is_re_encoded_within_the_limits(world, activity, during, settings):
    # 27 megapixels, about 7 MB: a phone's full-resolution shot.
    data = image_bytes(size=(6000, 4500), noise=True, taken_at=DAY)
    assert len(data) > 5 * 1024 * 1024
    photo = add(world, activity, data)
    assert max(photo.width, photo.height) == settings.PHOTO_POLICY["max_edge_px"]
    assert (photo.width, photo.height) == (2560, 1920)
    assert photo.size == default_storage.size(photo.image.name)
    assert photo.size < len(data) and photo.size <= settings.PHOTO_POLICY["max_upload_bytes"]
    assert photo.original_size == len(data)


def test_a_file_over_the_size_limit_is_refused(world, activity, during, settings):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_upload_bytes": 100_000}
    error = refused(world, activity, image_bytes(size=(1200, 900), noise=True))
    assert error.code == "file_too_large"
    assert "MB" in error.message


def test_an_image_with_too_many_pixels_is_refused_before_decoding(
    world, activity, during, settings
):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_pixels": 1_000_000}
    assert refused(world, activity, image_bytes(size=(2000, 1000))).code == "image_too_large"


def test_photos_after_the_close_are_late_within_the_grace_period_then_refused(
    world, activity, settings
):
    with time_machine.travel(AFTER_CLOSE, tick=False):
        photo = add(world, activity, image_bytes(taken_at=DAY, gps=VENUE))
    assert photo.is_late and photo.evidence == Evidence.VERIFIED
    assert "late_upload" in photo.flags
    grace = settings.PHOTO_POLICY["late_grace_hours"]
    with time_machine.travel(DAY + timedelta(hours=3 + grace, minutes=1), tick=False):
        assert refused(world, activity, image_bytes()).code == "record_closed"


def test_no_photos_before_the_activity_starts(world, activity):
    with time_machine.travel(DAY - timedelta(hours=1), tick=False):
        assert refused(world, activity, image_bytes()).code == "not_started"


def test_only_admins_of_the_scope_upload(world, activity, during):
    for user in (world.a.member.user, world.a.flowing.user):
        with pytest.raises(DomainError) as exc:
            add(world, activity, image_bytes(), actor=user)
        assert exc.value.code == "forbidden"
    for user in (world.b.admin, world.b.branch_admin, world.outsider):
        with pytest.raises(DomainError) as exc:
            add(world, activity, image_bytes(), actor=user)
        assert exc.value.code == "not_found"
    # The county above may add evidence too.
    assert add(world, activity, image_bytes(), actor=world.a.admin).uploaded_by == world.a.admin


def test_an_upload_is_audited_with_its_flags(world, activity, during):
    photo = add(world, activity, image_bytes(taken_at=DAY, gps=FAR))
    entry = AuditEntry.objects.get(action="photo.upload")
    assert entry.actor == world.a.branch_admin and entry.org == world.a.branch
    assert entry.object_id == str(photo.pk)
    assert entry.after["flags"] == ["far_from_venue"]


def test_the_summary_is_written_rewritten_and_audited(world, activity, during):
    services.write_summary(actor=world.a.branch_admin, activity=activity, text="初稿")
    summary = services.write_summary(
        actor=world.a.branch_admin, activity=activity, text="全体党员诵读党章，开展民主议事。"
    )
    assert summary.text == "全体党员诵读党章，开展民主议事。"
    entries = AuditEntry.objects.filter(action="summary.write").order_by("id")
    assert [e.after["text"] for e in entries] == ["初稿", summary.text]
    assert entries[1].before == {"text": "初稿"}
    with pytest.raises(DomainError) as exc:
        services.write_summary(actor=world.a.member.user, activity=activity, text="x")
    assert exc.value.code == "forbidden"


def test_a_bad_upload_leaves_no_file_behind(world, activity, during, monkeypatch):
    from dangjian.audit import services as audit

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        add(world, activity, image_bytes())
    assert Photo.objects.count() == 0
    _dirs, files = default_storage.listdir(f"photos/{DURING:%Y/%m}")
    assert files == []


def test_an_activity_takes_photos_up_to_its_cap_and_then_refuses_them(
    world, activity, during, settings
):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_per_activity": 2}
    data = image_bytes()
    add(world, activity, data)
    add(world, activity, data)
    error = refused(world, activity, data)
    assert error.code == "too_many_photos" and "2" in error.message
    assert Photo.objects.filter(activity=activity).count() == 2


def test_an_image_over_the_pixel_ceiling_is_refused_with_its_own_code_whatever_the_format(
    world, activity, during, settings
):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_pixels": 1_000_000}
    for fmt in ("PNG", "WEBP", "HEIF"):
        error = refused(world, activity, image_bytes(fmt, size=(1200, 1000)))
        assert error.code == "image_too_large", fmt
        assert "百万像素" in error.message and "缩小" in error.message
    png = refused(world, activity, image_bytes("PNG", size=(1200, 1000)))
    assert "最多 1 百万像素" in png.message
    # Transparency costs a second copy as the image is scaled: two thirds of the pixels.
    rgba = Image.new("RGBA", (900, 800), (200, 30, 30, 128))
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    transparent = refused(world, activity, out.getvalue(), name="a.png")
    assert (transparent.code, transparent.details["max_pixels"]) == ("image_too_large", 666_666)
    assert add(world, activity, image_bytes("PNG", size=(900, 800))).source_type == "png"
    # WebP's decoder holds a canvas and a copy of it: a third of the pixels.
    webp = refused(world, activity, image_bytes("WEBP", size=(600, 600)))
    assert (webp.code, webp.details["max_pixels"]) == ("image_too_large", 333_333)
    assert add(world, activity, image_bytes("WEBP", size=(570, 570))).source_type == "webp"
    assert Photo.objects.count() == 2


def test_a_jpeg_is_decoded_scaled_down_so_its_ceiling_counts_the_pixels_it_decodes_to(
    world, activity, during, settings
):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_pixels": 1_000_000, "max_edge_px": 1000}
    # 12 megapixels, decoded at 1/4: 1000 × 750.
    photo = add(world, activity, image_bytes(size=(4000, 3000), noise=True))
    assert (photo.width, photo.height) == (1000, 750)
    # The same pixels as a PNG are decoded whole: refused.
    assert refused(world, activity, image_bytes("PNG", size=(4000, 3000))).code == (
        "image_too_large"
    )


def test_a_transparent_png_is_scaled_and_laid_on_white(world, activity, during, settings):
    im = Image.new("RGBA", (3000, 1500), (0, 0, 0, 0))
    im.paste((200, 30, 30, 255), (0, 0, 1500, 1500))
    out = io.BytesIO()
    im.save(out, format="PNG")
    photo = add(world, activity, out.getvalue(), name="cut-out.png")
    assert (photo.width, photo.height) == (2560, 1280)
    with default_storage.open(photo.image.name) as f:
        stored = Image.open(io.BytesIO(f.read()))
        stored.load()
    assert stored.mode == "RGB"
    red, white = stored.getpixel((100, 600)), stored.getpixel((2400, 600))
    assert red[0] > 180 and red[1] < 60 and min(white) > 240


def test_several_photos_at_once_are_each_checked_and_one_refused_keeps_the_others(
    world, activity, during
):
    outcome = services.upload_photos(
        actor=world.a.branch_admin,
        activity=activity,
        files=[
            upload(image_bytes(taken_at=DAY, gps=VENUE), "ok.jpg"),
            upload(image_bytes(taken_at=DAY, gps=FAR), "far.jpg"),
            upload(EXECUTABLE, "virus.jpg"),
        ],
    )
    assert (outcome.added, outcome.flagged) == (2, 1)
    assert [name for name, _reason in outcome.refused] == ["virus.jpg"]
    assert outcome.summary() == (
        "已上传 2 张照片。其中 1 张的拍摄时间或地点与活动不符，已标记供上级核查。"
    )
    assert Photo.objects.filter(activity=activity).count() == 2


def test_several_photos_out_of_scope_refuse_the_whole_request(world, activity, during):
    with pytest.raises(DomainError) as exc:
        services.upload_photos(
            actor=world.b.admin,
            activity=activity,
            files=[upload(image_bytes(taken_at=DAY, gps=VENUE), "ok.jpg")],
        )
    assert exc.value.code in ("not_found", "forbidden")
    assert not Photo.objects.exists()
