"""The permission matrix of an activity's photos: who adds them and who removes them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from tests.permission_matrix.cases import ROLES, A, Expect, F, L, N, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db


# Activity photos (issue 22) ------------------------------------------------------------------
# Photos are added to an activity's record by the admins over its branch and by the members
# who attended it (Action.CONTRIBUTE); removed by the admins over the branch and by their
# uploader. The matrix's member (the flowing one) did not attend: 403 on their branch's
# activity, 404 on the other county's. The console is for admins (PAGE_OVERRIDES).

# fmt: off
PHOTO_MATRIX = [
    # role            add_a add_b remove_a remove_b
    ("city_admin",    A,    A,    A,       A),
    ("county_admin",  A,    N,    A,       N),
    ("branch_admin",  A,    N,    A,       N),
    ("member",        F,    N,    F,       N),
    ("outsider",      N,    N,    N,       N),
    ("anonymous",     L,    L,    L,       L),
]
# fmt: on
PHOTO_ACTIONS = ("add_a", "add_b", "remove_a", "remove_b")


def _held_with_a_photo(county):
    """An approved activity of the county's branch on right now, with one photo by its
    secretary."""
    from datetime import timedelta

    from dangjian.core import clock
    from dangjian.interaction import services as interaction
    from dangjian.themedays.models import Activity, ActivityStatus
    from tests.interaction.conftest import image_bytes

    now = clock.now()
    activity = Activity.objects.create(
        branch=county.branch,
        title="十二月主题党日",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=90),
        venue_address="村党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        status=ActivityStatus.APPROVED,
        created_at=now - timedelta(days=7),
        updated_at=now - timedelta(days=7),
    )
    file = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    photo = interaction.upload_photo(actor=county.branch_admin, activity=activity, file=file)
    return activity, photo


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(PHOTO_MATRIX, PHOTO_ACTIONS),
)
def test_photo_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    from dangjian.interaction.models import Photo
    from tests.interaction.conftest import image_bytes, use_tmp_media

    use_tmp_media(settings, tmp_path)
    verb, side = action.split("_")
    activity, photo = _held_with_a_photo(world.a if side == "a" else world.b)
    before = sorted(Photo.objects.values_list("pk", flat=True))
    user = ROLES[role](world)

    def file():
        return SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")

    if interface == "api":
        client = api(user)
        resp = {
            "add": lambda: client.post(
                f"/activities/{activity.pk}/photos",
                {"file": file()},
                content_type=MULTIPART_CONTENT,
            ),
            "remove": lambda: client.delete(f"/photos/{photo.pk}"),
        }[verb]()
    else:
        client = page(user)
        resp = {
            "add": lambda: client.post(
                reverse("console:record_photos", args=[activity.pk]), {"photos": [file()]}
            ),
            "remove": lambda: client.post(reverse("console:record_photo_remove", args=[photo.pk])),
        }[verb]()
    after = sorted(Photo.objects.values_list("pk", flat=True))
    if expect is Expect.ALLOW:
        assert resp.status_code in (201, 204, 302), resp.content[:500]
        if verb == "add":
            assert len(after) == len(before) + 1
        else:
            assert photo.pk not in after and len(after) == len(before) - 1
        return
    assert_refused(resp, interface, expect)
    assert after == before
