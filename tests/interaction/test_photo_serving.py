"""Photos are served only to those who may read the activity (its branch's members and
the admins above it), with private cache headers, to pages and API clients alike."""

import pytest
from django.urls import reverse

from dangjian.interaction import services
from tests.conftest import token_for
from tests.interaction.conftest import DAY, VENUE, image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(world, activity, during):
    return services.upload_photo(
        actor=world.a.branch_admin,
        activity=activity,
        file=upload(image_bytes(taken_at=DAY, gps=VENUE)),
    )


def url(photo, variant="full"):
    return reverse("portal:photo", args=[photo.pk, variant])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_branch_and_the_admins_above_get_the_photo_with_private_cache_headers(
    world, photo, page
):
    for user in (
        world.a.member.user,
        world.a.flowing.user,
        world.a.branch_admin,
        world.a.admin,
        world.city_admin,
    ):
        for variant in ("full", "thumb"):
            response = page(user).get(url(photo, variant))
            assert response.status_code == 200, (user, variant)
            assert response["Content-Type"] == "image/jpeg"
            assert body(response).startswith(b"\xff\xd8\xff")
            cache = response["Cache-Control"]
            assert "private" in cache and "max-age=604800" in cache and "public" not in cache
            assert response["ETag"] == f'"photo-{photo.pk}-{variant}"'
            assert response["X-Content-Type-Options"] == "nosniff"


def test_photos_are_never_served_outside_the_activitys_scope(world, photo, page):
    for user in (None, world.outsider, world.b.admin, world.b.branch_admin, world.b.member.user):
        for variant in ("full", "thumb"):
            assert page(user).get(url(photo, variant)).status_code == 404, (user, variant)
    # Nor with a conditional request that would only confirm it exists.
    response = page(world.outsider).get(
        url(photo), headers={"If-None-Match": f'"photo-{photo.pk}-full"'}
    )
    assert response.status_code == 404
    # A missing photo looks the same.
    assert (
        page(world.a.member.user).get(url(photo).replace(str(photo.pk), "999999")).status_code
        == 404
    )


def test_an_unknown_variant_is_not_found(world, photo, page):
    assert page(world.a.member.user).get(url(photo, "original")).status_code == 404


def test_api_clients_use_their_bearer_token(world, photo, page):
    client = page(None)
    ok = client.get(
        url(photo), headers={"Authorization": f"Bearer {token_for(world.a.member.user)}"}
    )
    assert ok.status_code == 200
    other = client.get(url(photo), headers={"Authorization": f"Bearer {token_for(world.b.admin)}"})
    assert other.status_code == 404
    assert client.get(url(photo), headers={"Authorization": "Bearer nonsense"}).status_code == 404


def test_a_browser_revalidates_with_the_etag(world, photo, page):
    client = page(world.a.member.user)
    response = client.get(
        url(photo, "thumb"), headers={"If-None-Match": f'"photo-{photo.pk}-thumb"'}
    )
    assert response.status_code == 304
    assert "private" in response["Cache-Control"]


def test_behind_nginx_the_file_is_sent_by_the_proxy(world, photo, page, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/media/"
    response = page(world.a.admin).get(url(photo))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/media/" + photo.image.name
    assert response.content == b""
    assert "private" in response["Cache-Control"]
