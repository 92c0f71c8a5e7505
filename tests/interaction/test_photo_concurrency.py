"""The photo cap holds when uploads arrive at the same instant. Real concurrency needs real
connections and row locks, so this runs against PostgreSQL (SQLite serializes every write
transaction and would prove nothing); tests/interaction/test_photos.py checks the cap one
upload at a time on either database."""

import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from dangjian.core.errors import DomainError
from dangjian.interaction import services
from dangjian.interaction.models import Photo
from tests.conftest import COMMITTED
from tests.interaction.conftest import image_bytes, upload

pytestmark = COMMITTED
THREADS = 8
CAP = 3


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def test_parallel_uploads_never_take_an_activity_past_its_photo_cap(
    world, activity, during, settings
):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_per_activity": CAP}
    data = image_bytes()
    services.upload_photo(actor=world.a.branch_admin, activity=activity, file=upload(data))
    barrier = threading.Barrier(THREADS)
    uploaded, refused, errors = [], [], []

    def worker():
        try:
            barrier.wait()
            photo = services.upload_photo(
                actor=world.a.branch_admin, activity=activity, file=upload(data)
            )
            uploaded.append(photo.pk)
        except DomainError as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Photo.objects.filter(activity=activity).count() == CAP
    assert len(uploaded) == CAP - 1
    assert refused == ["too_many_photos"] * (THREADS - CAP + 1)
    # The refused uploads left no file behind: an image and a thumbnail per photo.
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.jpg"))) == 2 * CAP
