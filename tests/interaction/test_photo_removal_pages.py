"""Removing a photo from the console's activity record and over the API: the admins over
the branch remove any, a member their own over the API (the console is for admins), others
nothing; every refusal leaves the photo in place."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.interaction import services
from dangjian.interaction.models import Photo
from tests.attendance.conftest import check_in
from tests.interaction.conftest import DAY, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos(world, activity, during):
    """One photo by the branch secretary, one by the member who attended."""
    with time_machine.travel(DAY - timedelta(minutes=5), tick=False):
        check_in(world.a.member.user, activity)

    def add(user):
        file = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
        return services.upload_photo(actor=user, activity=activity, file=file)

    return add(world.a.branch_admin), add(world.a.member.user)


def test_the_console_record_offers_removal_and_the_branch_admin_removes_any(
    world, page, activity, photos
):
    secretary, members = photos
    client = page(world.a.branch_admin)
    record = client.get(reverse("console:activity_record", args=[activity.pk])).content.decode()
    for photo in photos:
        assert reverse("console:record_photo_remove", args=[photo.pk]) in record
    response = client.post(reverse("console:record_photo_remove", args=[members.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:activity_record", args=[activity.pk]) + (
        "#photos"
    )
    assert list(Photo.objects.values_list("pk", flat=True)) == [secretary.pk]
    assert AuditEntry.objects.filter(action="photo.remove", actor=world.a.branch_admin).exists()


def test_the_console_refuses_everyone_else(world, page, activity, photos):
    url = reverse("console:record_photo_remove", args=[photos[1].pk])
    assert page(world.b.admin).post(url).status_code == 404
    # The console is for admins: members (even the uploader) and the outsider get 403.
    for user in (world.a.member.user, world.a.flowing.user, world.outsider):
        assert page(user).post(url).status_code == 403
    assert page(None).post(url).status_code == 302
    assert Photo.objects.count() == 2


def test_the_api_removes_for_the_admin_and_the_uploader_only(world, api, activity, photos):
    secretary, members = photos
    assert api(world.a.flowing.user).delete(f"/photos/{members.pk}").status_code == 403
    assert api(world.a.member.user).delete(f"/photos/{secretary.pk}").status_code == 403
    assert api(world.b.admin).delete(f"/photos/{members.pk}").status_code == 404
    assert api(world.outsider).delete(f"/photos/{members.pk}").status_code == 404
    assert api(None).delete(f"/photos/{members.pk}").status_code == 401
    assert api(world.a.member.user).delete(f"/photos/{members.pk}").status_code == 204
    assert api(world.a.admin).delete(f"/photos/{secretary.pk}").status_code == 204
    assert not Photo.objects.exists()
    assert api(world.a.admin).delete(f"/photos/{secretary.pk}").status_code == 404


def test_a_member_who_attended_uploads_over_the_api_and_one_who_did_not_is_refused(
    world, api, activity, during
):
    with time_machine.travel(DAY - timedelta(minutes=5), tick=False):
        check_in(world.a.member.user, activity)

    def upload(user):
        file = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
        path = f"/activities/{activity.pk}/photos"
        return api(user).post(path, {"file": file}, content_type=MULTIPART_CONTENT)

    assert upload(world.a.member.user).status_code == 201
    assert upload(world.a.flowing.user).status_code == 403
    assert upload(world.b.member.user).status_code == 404
    assert upload(world.outsider).status_code == 404
    assert Photo.objects.count() == 1
