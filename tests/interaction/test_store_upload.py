"""The intake every stored image goes through (interaction.images.store_upload: activity
photos, articles' covers, volunteer orders' photos): the size checked before and while
reading, the image processed, then both files kept under the caller's folder. No database."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image

from dangjian.core.errors import DomainError
from dangjian.interaction import images
from tests.interaction.conftest import EXECUTABLE, image_bytes, upload

POLICY_LIMIT = 200_000


@pytest.fixture
def policy(settings):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_upload_bytes": POLICY_LIMIT}
    return settings.PHOTO_POLICY


class Unreadable(io.BytesIO):
    """A file whose declared size is all that may be looked at."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def read(self, *args):
        raise AssertionError("read past a declared size that is already too large")


def stored_files() -> list[str]:
    found, pending = [], [""]
    while pending:
        folder = pending.pop()
        if not default_storage.exists(folder or "."):
            continue
        dirs, files = default_storage.listdir(folder or ".")
        pending += [f"{folder}/{d}".lstrip("/") for d in dirs]
        found += [f"{folder}/{f}".lstrip("/") for f in files]
    return sorted(found)


@time_machine.travel(datetime(2026, 12, 10, 2, 0, tzinfo=UTC), tick=False)
def test_an_image_is_processed_and_kept_with_its_thumbnail_under_the_folder(policy):
    data = image_bytes(size=(800, 600))
    stored = images.store_upload(upload(data), folder="articles/covers")
    assert stored.image.startswith("articles/covers/2026/12/")
    assert stored.image.endswith(".jpg") and not stored.image.endswith("_t.jpg")
    assert stored.thumbnail.startswith("articles/covers/2026/12/")
    assert stored.thumbnail.endswith("_t.jpg")
    assert stored.original_size == len(data)
    assert (stored.processed.width, stored.processed.height) == (800, 600)
    assert stored_files() == sorted([stored.image, stored.thumbnail])
    with default_storage.open(stored.image) as f:
        assert f.read() == stored.processed.image
    with default_storage.open(stored.thumbnail) as f:
        assert Image.open(f).format == "JPEG"


def test_discard_removes_both_files(policy):
    stored = images.store_upload(upload(image_bytes()), folder="volunteering")
    stored.discard()
    assert stored_files() == []


def test_a_declared_size_past_the_limit_is_refused_before_anything_is_read(policy):
    with pytest.raises(DomainError) as refused:
        images.store_upload(Unreadable(POLICY_LIMIT + 1), folder="photos")
    assert refused.value.as_dict() == images.too_large(POLICY_LIMIT).as_dict()
    assert stored_files() == []


def test_a_file_that_reads_past_the_limit_is_refused_the_same(policy):
    big = image_bytes(size=(1600, 1200), noise=True)
    assert len(big) > POLICY_LIMIT
    stream = io.BytesIO(big)  # no declared size: only what is read tells
    with pytest.raises(DomainError) as refused:
        images.store_upload(stream, folder="photos")
    assert refused.value.as_dict() == images.too_large(POLICY_LIMIT).as_dict()
    assert stream.tell() == POLICY_LIMIT + 1
    assert stored_files() == []


def test_a_file_is_read_from_its_start(policy):
    file = upload(image_bytes())
    file.read(10)
    assert images.store_upload(file, folder="photos").processed.source_type == "jpeg"


@pytest.mark.parametrize("data", [EXECUTABLE, b"", b"\xff\xd8\xff\xe0" + b"\x00" * 500])
def test_what_is_not_an_image_is_refused_and_nothing_is_kept(policy, data):
    with pytest.raises(DomainError) as refused:
        images.store_upload(upload(data), folder="photos")
    assert refused.value.code == "unsupported_file"
    assert stored_files() == []


def test_an_explicit_policy_is_the_one_applied(policy):
    tighter = {**policy, "max_upload_bytes": 1_000}
    with pytest.raises(DomainError) as refused:
        images.store_upload(upload(image_bytes()), folder="photos", policy=tighter)
    assert refused.value.details == {"limit": 1_000}
