"""Members add photos to the record of an activity they attended, within the same limits
and window as the branch; the admins over the branch remove any photo at any time, a
member their own while the record takes photos; every removal is audited and its files
deleted."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import services
from dangjian.interaction.models import Photo
from dangjian.permissions import Action
from tests.attendance.conftest import check_in
from tests.interaction.conftest import AFTER_CLOSE, DAY, EXECUTABLE, image_bytes, upload

pytestmark = pytest.mark.django_db


def add(user, activity, data=None):
    return services.upload_photo(
        actor=user, activity=activity, file=upload(data or image_bytes()), name="现场.jpg"
    )


def refusal(fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        fn(**kwargs)
    return refused.value


@pytest.fixture
def attended(world, activity):
    """The plain member checked in at the venue; the flowing member did not."""
    with time_machine.travel(DAY - timedelta(minutes=5), tick=False):
        check_in(world.a.member.user, activity)
    return world.a.member


def test_a_member_who_attended_adds_a_photo_audited(world, activity, attended, during):
    photo = add(attended.user, activity)
    assert photo.uploaded_by == attended.user
    assert default_storage.exists(photo.image.name)
    entry = AuditEntry.objects.get(action="photo.upload")
    assert entry.actor_id == attended.user.pk


def test_members_who_did_not_attend_and_outsiders_cannot_add_photos(
    world, activity, attended, during
):
    # On the roster but never checked in: readable, not allowed.
    assert refusal(add, user=world.a.flowing.user, activity=activity).code == "forbidden"
    # Another county's member and the outsider do not see the activity at all.
    assert refusal(add, user=world.b.member.user, activity=activity).code == "not_found"
    assert refusal(add, user=world.outsider, activity=activity).code == "not_found"
    assert Photo.objects.count() == 0


def test_a_members_photo_follows_the_same_limits_and_window(world, activity, attended, during):
    assert refusal(add, user=attended.user, activity=activity, data=EXECUTABLE).code == (
        "unsupported_file"
    )
    grace = services.record_deadline(activity) + timedelta(minutes=1)
    with time_machine.travel(grace, tick=False):
        assert refusal(add, user=attended.user, activity=activity).code == "record_closed"


def test_the_branch_admin_removes_any_photo_audited_and_its_files_go(
    world, activity, attended, during, django_capture_on_commit_callbacks
):
    photo = add(attended.user, activity)
    files = [photo.image.name, photo.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_photo(actor=world.a.branch_admin, photo=photo)
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    entry = AuditEntry.objects.get(action="photo.remove")
    assert (entry.actor_id, entry.object_id) == (world.a.branch_admin.pk, str(photo.pk))
    assert entry.org_id == world.a.branch.pk
    assert entry.before["uploaded_by"] == attended.user.pk


def test_the_admin_removes_after_the_record_closed_a_member_only_while_open(
    world, activity, attended, during
):
    mine = add(attended.user, activity)
    theirs = add(world.a.branch_admin, activity)
    # Another member's photo is not theirs to remove.
    assert refusal(services.remove_photo, actor=attended.user, photo=theirs).code == "forbidden"
    assert refusal(services.remove_photo, actor=world.b.admin, photo=mine).code == "not_found"
    assert refusal(services.remove_photo, actor=world.outsider, photo=mine).code == "not_found"
    later = services.record_deadline(activity) + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert refusal(services.remove_photo, actor=attended.user, photo=mine).code == (
            "record_closed"
        )
        services.remove_photo(actor=world.a.branch_admin, photo=theirs)
    with time_machine.travel(AFTER_CLOSE, tick=False):
        services.remove_photo(actor=attended.user, photo=mine)
    assert Photo.objects.count() == 0
    assert AuditEntry.objects.filter(action="photo.remove").count() == 2


def test_who_may_contribute_and_remove_is_the_permission_packages(
    world, activity, attended, during
):
    photo = add(attended.user, activity)
    contribute = {
        "city_admin": world.city_admin,
        "county_admin": world.a.admin,
        "branch_admin": world.a.branch_admin,
        "attended": attended.user,
        "flowing": world.a.flowing.user,
        "other_county": world.b.admin,
        "outsider": world.outsider,
    }
    got = {k: permissions.can(u, Action.CONTRIBUTE, activity) for k, u in contribute.items()}
    assert got == {
        "city_admin": True,
        "county_admin": True,
        "branch_admin": True,
        "attended": True,
        "flowing": False,
        "other_county": False,
        "outsider": False,
    }
    remove = {k: permissions.can(u, Action.CHANGE, photo) for k, u in contribute.items()}
    assert remove == {**got, "attended": True, "flowing": False}
