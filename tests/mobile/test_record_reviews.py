"""退回补充 on the phone: the branch secretary sees the record sent back with its reason
and deadline, supplements the summary and photos, and resubmits; nobody else can."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.interaction.models import Photo, Summary
from dangjian.supervision import reviews
from dangjian.supervision.models import RecordReview, ReviewStatus
from tests.interaction.conftest import image_bytes
from tests.scoring.conftest import NOW, clock, make_activity  # noqa: F401

pytestmark = pytest.mark.django_db
DEADLINE = NOW.date() + timedelta(days=5)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def review(world, clock):  # noqa: F811
    activity = make_activity(world.a.branch, date(2026, 12, 1))
    return reviews.send_back_record(
        actor=world.a.admin, activity=activity, reason="缺少现场照片", deadline=DEADLINE
    )


def test_the_secretary_supplements_and_resubmits_a_record_sent_back(world, review, page):
    phone = page(world.a.branch_admin)
    listed = phone.get("/m/records/").content.decode()
    assert review.activity.title in listed and "缺少现场照片" in listed

    url = f"/m/records/{review.pk}/"
    shown = phone.get(url).content.decode()
    assert "缺少现场照片" in shown and DEADLINE.isoformat() in shown

    phone.post(url, {"action": "summary", "text": "补充的活动总结"})
    photo = SimpleUploadedFile("现场.jpg", image_bytes(), content_type="image/jpeg")
    phone.post(url, {"action": "photos", "photos": [photo]})
    assert Summary.objects.get(activity=review.activity).text == "补充的活动总结"
    assert Photo.objects.filter(activity=review.activity).count() == 1

    r = phone.post(url, {"action": "resubmit", "note": "已补充"})
    assert r.status_code == 302 and r["Location"] == "/m/records/"
    assert RecordReview.objects.get(pk=review.pk).status == ReviewStatus.RESUBMITTED
    assert review.activity.title not in phone.get("/m/records/").content.decode()
    # Resubmitted: the record is closed to the branch again.
    assert "resubmit-record" not in phone.get(url).content.decode()


def test_past_the_deadline_the_resubmission_is_refused_with_a_message(
    world,
    review,
    page,
    clock,  # noqa: F811
):
    clock.move_to(NOW + timedelta(days=6))
    phone = page(world.a.branch_admin)
    r = phone.post(f"/m/records/{review.pk}/", {"action": "resubmit"}, follow=True)
    assert "补充期限已过" in r.content.decode()
    assert RecordReview.objects.get(pk=review.pk).status == ReviewStatus.SENT_BACK


@pytest.mark.parametrize(("who", "get", "post"), [("county", 200, 403), ("b", 404, 404)])
def test_only_the_branch_s_own_admins_supplement(world, review, page, who, get, post):
    user = world.a.admin if who == "county" else world.b.branch_admin
    url = f"/m/records/{review.pk}/"
    assert page(user).get(url).status_code == get
    assert page(user).post(url, {"action": "summary", "text": "x"}).status_code == post
    assert page(user).post(url, {"action": "resubmit"}).status_code == post
    assert not Summary.objects.exists()
    assert RecordReview.objects.get(pk=review.pk).status == ReviewStatus.SENT_BACK


def test_an_outsider_and_a_member_see_nothing(world, review, page):
    for user in (world.outsider, world.a.member.user):
        assert page(user).get(f"/m/records/{review.pk}/").status_code == 404
        assert review.activity.title not in page(user).get("/m/records/").content.decode()
    assert page(None).get("/m/records/").status_code == 302


def test_the_secretary_s_home_links_to_the_records_sent_back(world, review, page):
    home = page(world.a.branch_admin).get("/m/").content.decode()
    assert 'data-testid="home-sent-back"' in home and "/m/records/" in home
    for user in (world.a.member.user, world.b.branch_admin):
        assert 'data-testid="home-sent-back"' not in page(user).get("/m/").content.decode()
