"""The activity record over the API: photos with flags, the summary, comments and
replies, likes, hiding, superiors' ratings; with everyone who must be refused."""

from datetime import timedelta

import pytest
import time_machine
from django.test.client import MULTIPART_CONTENT

from dangjian.audit.models import AuditEntry
from dangjian.interaction.models import ActivityLike, Comment, Photo, Rating
from tests.interaction.conftest import (
    DAY,
    DURING,
    EXECUTABLE,
    FAR,
    VENUE,
    approved_activity,
    image_bytes,
    upload,
    use_tmp_media,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def activity(world):
    return approved_activity(world)


@pytest.fixture
def during():
    with time_machine.travel(DURING, tick=False) as traveller:
        yield traveller


def post_file(client, path, data, name="photo.jpg"):
    return client.post(path, {"file": upload(data, name)}, content_type=MULTIPART_CONTENT)


def put(client, path, data):
    return client._call("put", path, data)


# Photos ----------------------------------------------------------------------------------


def test_a_branch_admin_uploads_photos_and_reads_their_flags(world, api, activity, during):
    client = api(world.a.branch_admin)
    path = f"/activities/{activity.pk}/photos"
    ok = post_file(client, path, image_bytes(taken_at=DAY + timedelta(minutes=30), gps=VENUE))
    assert ok.status_code == 201, ok.content
    photo = ok.json()
    assert photo["evidence"] == "verified" and photo["flags"] == []
    assert photo["distance_m"] == 0 and photo["latitude"] == pytest.approx(33.0678)
    assert photo["url"] == f"/photos/{photo['id']}/full.jpg"
    assert photo["thumbnail_url"] == f"/photos/{photo['id']}/thumb.jpg"
    far = post_file(client, path, image_bytes(taken_at=DAY - timedelta(days=2), gps=FAR))
    assert far.json()["evidence"] == "flagged"
    assert far.json()["flags"] == ["time_outside_activity", "far_from_venue"]
    bare = post_file(client, path, image_bytes("PNG"), name="截图.png")
    assert bare.json()["evidence"] == "unverified" and bare.json()["source_type"] == "png"

    listed = api(world.a.flowing.user).get(path)
    assert listed.status_code == 200
    assert [p["evidence"] for p in listed.json()] == ["verified", "flagged", "unverified"]
    assert api(world.city_admin).get(path).json()[1]["flags"] == [
        "time_outside_activity",
        "far_from_venue",
    ]


def test_an_executable_renamed_jpg_and_an_oversized_file_are_422(
    world, api, activity, during, settings
):
    client = api(world.a.branch_admin)
    path = f"/activities/{activity.pk}/photos"
    bad = post_file(client, path, EXECUTABLE, name="photo.jpg")
    assert bad.status_code == 422
    assert bad.json()["code"] == "unsupported_file" and bad.json()["message"]
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_upload_bytes": 50_000}
    big = post_file(client, path, image_bytes(size=(1600, 1200), noise=True))
    assert big.status_code == 422 and big.json()["code"] == "file_too_large"
    assert client.post(path, {}, content_type=MULTIPART_CONTENT).status_code == 422
    assert Photo.objects.count() == 0


def test_only_admins_of_the_scope_upload_and_out_of_scope_photos_are_404(
    world, api, activity, during
):
    path = f"/activities/{activity.pk}/photos"
    assert post_file(api(world.a.member.user), path, image_bytes()).status_code == 403
    for user in (world.outsider, world.b.admin, world.b.branch_admin, world.b.member.user):
        assert post_file(api(user), path, image_bytes()).status_code == 404
        assert api(user).get(path).status_code == 404
        assert api(user).get(path).json()["code"] == "not_found"
    assert api(None).get(path).status_code == 401
    assert api(world.a.member.user).get("/activities/999999/photos").status_code == 404


def test_photo_urls_from_the_api_serve_the_image_to_the_scope_only(
    world, api, activity, during, page
):
    from tests.conftest import token_for

    created = post_file(
        api(world.a.branch_admin), f"/activities/{activity.pk}/photos", image_bytes()
    )
    photo_url = created.json()["url"]
    mine = page(None).get(
        photo_url, headers={"Authorization": f"Bearer {token_for(world.a.member.user)}"}
    )
    assert mine.status_code == 200
    theirs = page(None).get(
        photo_url, headers={"Authorization": f"Bearer {token_for(world.b.admin)}"}
    )
    assert theirs.status_code == 404


def test_the_summary_is_put_by_the_branch(world, api, activity, during):
    path = f"/activities/{activity.pk}/summary"
    text = "本次主题党日全体党员参加，诵读党章、缴纳党费、开展民主议事。"
    response = put(api(world.a.branch_admin), path, {"text": text})
    assert response.status_code == 200, response.content
    assert response.json()["text"] == text and response.json()["chars"] == len(text)
    assert put(api(world.a.member.user), path, {"text": "x"}).status_code == 403
    assert put(api(world.outsider), path, {"text": "x"}).status_code == 404
    assert put(api(world.a.branch_admin), path, {"text": " "}).status_code == 422


# Comments and likes ----------------------------------------------------------------------


def test_members_comment_reply_and_the_activity_counts_them(world, api, activity, during):
    path = f"/activities/{activity.pk}/comments"
    member = api(world.a.member.user)
    first = member.post(path, {"body": "认真学习，受益匪浅。"})
    assert first.status_code == 201, first.content
    assert first.json()["author"]["name"] == world.a.member.name
    reply = api(world.a.flowing.user).post(
        path, {"body": "远在深圳，同样收获很大。", "parent_id": first.json()["id"]}
    )
    assert reply.status_code == 201 and reply.json()["parent_id"] == first.json()["id"]
    assert reply.json()["author"]["is_flowing"] is True
    # A reply to a reply is refused.
    deeper = member.post(path, {"body": "同感", "parent_id": reply.json()["id"]})
    assert deeper.status_code == 422 and deeper.json()["code"] == "reply_depth"

    listed = api(world.a.admin).get(path).json()
    assert listed["count"] == 1
    assert [r["body"] for r in listed["items"][0]["replies"]] == ["远在深圳，同样收获很大。"]

    member.post(f"/activities/{activity.pk}/like")
    detail = member.get(f"/activities/{activity.pk}").json()
    assert (detail["like_count"], detail["comment_count"]) == (1, 2)


def test_forbidden_words_answer_422_with_a_clear_message(world, api, activity, during):
    response = api(world.a.member.user).post(
        f"/activities/{activity.pk}/comments", {"body": "周末一起去赌博"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "forbidden_words"
    assert "赌博" in response.json()["message"] and response.json()["words"] == ["赌博"]
    assert Comment.objects.count() == 0


def test_a_non_member_cannot_comment_or_like(world, api, activity, during):
    base = f"/activities/{activity.pk}"
    for user in (world.outsider, world.b.member.user, world.b.admin):
        client = api(user)
        assert client.post(f"{base}/comments", {"body": "路过"}).status_code == 404
        assert client.post(f"{base}/like").status_code == 404
        assert client.get(f"{base}/comments").status_code == 404
    # An admin above reads but is not on the roster.
    assert api(world.a.admin).post(f"{base}/comments", {"body": "好"}).status_code == 403
    assert api(world.a.admin).post(f"{base}/like").status_code == 403
    assert api(None).post(f"{base}/like").status_code == 401
    assert Comment.objects.count() == 0 and ActivityLike.objects.count() == 0


def test_a_double_like_keeps_one_and_unlike_removes_it(world, api, activity, during):
    client = api(world.a.flowing.user)
    path = f"/activities/{activity.pk}/like"
    assert client.post(path).json() == {"liked": True, "like_count": 1}
    assert client.post(path).json() == {"liked": True, "like_count": 1}
    assert ActivityLike.objects.filter(activity=activity).count() == 1
    assert client.delete(path).json() == {"liked": False, "like_count": 0}
    assert client.delete(path).status_code == 200


def test_comment_likes(world, api, activity, during):
    comment = (
        api(world.a.member.user).post(f"/activities/{activity.pk}/comments", {"body": "好"}).json()
    )
    path = f"/comments/{comment['id']}/like"
    flowing = api(world.a.flowing.user)
    assert flowing.post(path).json() == {"liked": True, "like_count": 1}
    assert flowing.post(path).json() == {"liked": True, "like_count": 1}
    listed = flowing.get(f"/activities/{activity.pk}/comments").json()["items"][0]
    assert (listed["like_count"], listed["liked"]) == (1, True)
    assert flowing.delete(path).json() == {"liked": False, "like_count": 0}
    assert api(world.outsider).post(path).status_code == 404
    assert api(world.b.member.user).post(path).status_code == 404


def test_hiding_a_comment_keeps_it_audits_it_and_shows_it_hidden_to_its_author(
    world, api, activity, during
):
    comment = (
        api(world.a.member.user)
        .post(f"/activities/{activity.pk}/comments", {"body": "与活动无关的广告"})
        .json()
    )
    path = f"/comments/{comment['id']}/hide"
    assert api(world.a.flowing.user).post(path, {"reason": "x"}).status_code == 403
    assert api(world.b.admin).post(path, {"reason": "x"}).status_code == 404
    assert api(world.outsider).post(path, {"reason": "x"}).status_code == 404
    assert api(world.a.branch_admin).post(path, {"reason": ""}).status_code == 422
    hidden = api(world.a.branch_admin).post(path, {"reason": "广告内容"})
    assert hidden.status_code == 200
    assert hidden.json()["is_hidden"] is True and hidden.json()["hidden_reason"] == "广告内容"
    assert Comment.objects.get(pk=comment["id"]).body == "与活动无关的广告"
    assert AuditEntry.objects.filter(action="comment.hide", object_id=str(comment["id"])).exists()

    comments = f"/activities/{activity.pk}/comments"
    author_view = api(world.a.member.user).get(comments).json()["items"]
    assert author_view[0]["is_hidden"] is True and author_view[0]["hidden_reason"] == "广告内容"
    assert api(world.a.flowing.user).get(comments).json()["count"] == 0
    assert api(world.a.flowing.user).post(f"/comments/{comment['id']}/like").status_code == 404
    detail = api(world.a.member.user).get(f"/activities/{activity.pk}").json()
    assert detail["comment_count"] == 0
    again = api(world.a.branch_admin).post(path, {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "already_hidden"


# Rating ----------------------------------------------------------------------------------


def test_a_superior_rates_and_a_higher_level_replaces_it(world, api, activity, during):
    path = f"/activities/{activity.pk}/rating"
    county = api(world.a.admin).post(path, {"score": 80, "remark": "较好"})
    assert county.status_code == 201, county.content
    assert county.json()["current"]["score"] == 80
    city = api(world.city_admin).post(path, {"score": 95, "remark": "优秀"})
    assert city.json()["current"]["rater_org"] == "汉中市"
    assert [(r["score"], r["is_current"]) for r in city.json()["history"]] == [
        (95, True),
        (80, False),
    ]
    lower = api(world.a.admin).post(path, {"score": 60})
    assert lower.status_code == 409 and lower.json()["code"] == "higher_rating_exists"


def test_a_rating_by_the_branch_itself_or_out_of_range_is_refused(world, api, activity, during):
    path = f"/activities/{activity.pk}/rating"
    own = api(world.a.branch_admin).post(path, {"score": 100, "remark": "自评"})
    assert own.status_code == 403 and own.json()["code"] == "forbidden"
    assert api(world.a.member.user).post(path, {"score": 90}).status_code == 403
    for score in (-1, 101):
        response = api(world.a.admin).post(path, {"score": score})
        assert response.status_code == 422, score
        assert response.json()["code"] == "score_out_of_range"
    assert api(world.a.admin).post(path, {"score": "高"}).status_code == 422
    assert api(world.outsider).post(path, {"score": 90}).status_code == 404
    assert api(world.b.admin).post(path, {"score": 90}).status_code == 404
    assert Rating.objects.count() == 0
