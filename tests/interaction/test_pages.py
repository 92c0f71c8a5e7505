"""The pages of the activity record: the member's feed and activity page on the phone
(comment, reply, like), the flowing member's home, and the back-office record page
(upload, summary, hide, rate). Out-of-scope activities and photos answer 404."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.interaction import services
from dangjian.interaction.models import ActivityLike, Comment, CommentLike, Photo, Rating
from dangjian.themedays.models import Activity, ActivityStatus
from tests.interaction.conftest import DAY, FAR, VENUE, image_bytes, upload

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def feed_url(activity=None):
    return (
        reverse("mobile:feed_activity", args=[activity.pk]) if activity else reverse("mobile:feed")
    )


def record_url(activity):
    return reverse("console:activity_record", args=[activity.pk])


@pytest.fixture
def photo(world, activity, during):
    return services.upload_photo(
        actor=world.a.branch_admin, activity=activity, file=upload(image_bytes(taken_at=DAY))
    )


# The member's phone pages ----------------------------------------------------------------


def test_the_feed_lists_the_branchs_activities_with_photos_summary_and_counts(
    world, activity, during, photo, page
):
    services.write_summary(actor=world.a.branch_admin, activity=activity, text="全体党员参加学习")
    services.post_comment(actor=world.a.flowing.user, activity=activity, body="深圳线上参加")
    services.like_activity(actor=world.a.flowing.user, activity=activity)
    body = html(page(world.a.member.user).get(feed_url()))
    assert activity.title in body and "全体党员参加学习" in body
    assert reverse("portal:photo", args=[photo.pk, "thumb"]) in body
    assert "评论 1" in body and 'class="like-count">1<' in body
    # Nobody else's branch.
    assert activity.title not in html(page(world.b.member.user).get(feed_url()))


def test_the_feed_is_newest_first_and_paginated(world, activity, during, page):
    for day in range(11, 24):
        Activity.objects.create(
            branch=world.a.branch,
            title=f"活动{day}",
            starts_at=DAY.replace(day=day),
            ends_at=DAY.replace(day=day) + timedelta(hours=2),
            venue_address="村活动室",
            latitude=VENUE[0],
            longitude=VENUE[1],
            status=ActivityStatus.APPROVED,
            created_at=DAY,
            updated_at=DAY,
        )
    first = html(page(world.a.member.user).get(feed_url()))
    assert first.index("活动23") < first.index("活动22") < first.index("活动14")
    assert "活动13" not in first and "第 1 / 2 页" in first
    second = html(page(world.a.member.user).get(feed_url() + "?page=2"))
    assert "活动13" in second and activity.title in second


def test_drafts_are_not_in_the_feed(world, activity, during, page):
    activity.status = ActivityStatus.SUBMITTED
    activity.save(update_fields=["status"])
    assert activity.title not in html(page(world.a.member.user).get(feed_url()))
    assert page(world.a.member.user).get(feed_url(activity)).status_code == 404


def test_a_flowing_members_home_shows_the_branchs_activities(world, activity, during, page):
    body = html(page(world.a.flowing.user).get(reverse("mobile:home")))
    assert "本支部活动" in body and activity.title in body
    assert "您是流动党员" in body
    assert feed_url(activity) in body


def test_a_member_comments_replies_and_likes_from_the_activity_page(world, activity, during, page):
    client = page(world.a.flowing.user)
    response = client.post(reverse("mobile:feed_comment", args=[activity.pk]), {"body": "收获很大"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == feed_url(activity) + f"#c{comment.pk}"
    reply = page(world.a.member.user).post(
        reverse("mobile:feed_comment", args=[activity.pk]),
        {"body": "同感", "parent_id": comment.pk},
    )
    assert reply.status_code == 302 and Comment.objects.get(parent=comment).body == "同感"
    client.post(reverse("mobile:feed_like", args=[activity.pk]), {"action": "like"})
    client.post(reverse("mobile:feed_like", args=[activity.pk]), {"action": "like"})
    assert ActivityLike.objects.filter(member=world.a.flowing).count() == 1
    page(world.a.member.user).post(reverse("mobile:comment_like", args=[comment.pk]))
    assert CommentLike.objects.filter(comment=comment).count() == 1
    body = html(client.get(feed_url(activity)))
    assert "收获很大" in body and "同感" in body and "已赞" in body
    client.post(reverse("mobile:feed_like", args=[activity.pk]), {"action": "unlike"})
    assert ActivityLike.objects.count() == 0


def test_forbidden_words_are_shown_on_the_page_and_the_text_is_kept(world, activity, during, page):
    response = page(world.a.member.user).post(
        reverse("mobile:feed_comment", args=[activity.pk]), {"body": "村里有人赌博"}
    )
    assert response.status_code == 422
    body = html(response)
    assert "内容包含不允许使用的词语：赌博" in body and "村里有人赌博</textarea>" in body
    assert Comment.objects.count() == 0


def test_a_hidden_comment_is_shown_hidden_to_its_author_only(world, activity, during, page):
    c = services.post_comment(actor=world.a.member.user, activity=activity, body="不当言论")
    services.hide_comment(actor=world.a.branch_admin, comment=c, reason="与主题无关")
    mine = html(page(world.a.member.user).get(feed_url(activity)))
    assert "该评论已被管理员隐藏" in mine and "与主题无关" in mine
    assert "不当言论" not in html(page(world.a.flowing.user).get(feed_url(activity)))


def test_non_members_get_404_on_the_activity_page_and_cannot_comment_or_like(
    world, activity, during, page
):
    for user in (world.b.member.user, world.b.branch_admin):
        client = page(user)
        assert client.get(feed_url(activity)).status_code == 404
        assert (
            client.post(
                reverse("mobile:feed_comment", args=[activity.pk]), {"body": "x"}
            ).status_code
            == 404
        )
        assert client.post(reverse("mobile:feed_like", args=[activity.pk])).status_code == 404
    # The outsider has no member record: a friendly page, nothing written.
    assert "没有找到您的党员信息" in html(page(world.outsider).get(feed_url(activity)))
    page(world.outsider).post(reverse("mobile:feed_like", args=[activity.pk]))
    assert page(None).get(feed_url(activity)).status_code == 302
    assert Comment.objects.count() == 0 and ActivityLike.objects.count() == 0


# The back office ---------------------------------------------------------------------------


def test_the_branch_admin_uploads_photos_and_writes_the_summary_from_the_page(
    world, activity, during, page
):
    client = page(world.a.branch_admin)
    body = html(client.get(record_url(activity)))
    assert "上传照片" in body and "保存总结" in body and "提交评分" not in body
    response = client.post(
        reverse("console:record_photos", args=[activity.pk]),
        {
            "photos": [
                upload(image_bytes(taken_at=DAY, gps=VENUE), "ok.jpg"),
                upload(image_bytes(taken_at=DAY, gps=FAR), "far.jpg"),
                upload(b"MZ\x90\x00 not an image", "virus.jpg"),
            ]
        },
    )
    assert response.status_code == 302
    assert Photo.objects.filter(activity=activity).count() == 2
    body = html(client.get(record_url(activity)))
    assert "已上传 2 张照片" in body and "其中 1 张" in body
    assert "virus.jpg：只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片" in body
    assert "已核验" in body and "存疑" in body and "超出范围" in body
    for p in Photo.objects.all():
        assert reverse("portal:photo", args=[p.pk, "thumb"]) in body
    client.post(reverse("console:record_summary", args=[activity.pk]), {"text": "总结正文"})
    assert "总结正文</textarea>" in html(client.get(record_url(activity)))


def test_hiding_from_the_page_keeps_and_audits(world, activity, during, page):
    c = services.post_comment(actor=world.a.member.user, activity=activity, body="广告")
    client = page(world.a.branch_admin)
    assert "确认隐藏" in html(client.get(record_url(activity)))
    client.post(reverse("console:comment_hide", args=[c.pk]), {"reason": "广告信息"})
    c.refresh_from_db()
    assert c.is_hidden and c.body == "广告"
    assert AuditEntry.objects.filter(action="comment.hide").count() == 1
    assert "已隐藏：广告信息" in html(client.get(record_url(activity)))
    assert (
        page(world.b.admin)
        .post(reverse("console:comment_hide", args=[c.pk]), {"reason": "x"})
        .status_code
        == 404
    )


def test_superiors_rate_from_the_page_and_the_branch_cannot(world, activity, during, page):
    county = page(world.a.admin)
    assert "提交评分" in html(county.get(record_url(activity)))
    county.post(reverse("console:record_rate", args=[activity.pk]), {"score": "88", "remark": "好"})
    assert Rating.objects.get().score == 88
    bad = county.post(reverse("console:record_rate", args=[activity.pk]), {"score": "120"})
    assert bad.status_code == 302
    assert "评分应为 0 到 100 之间的整数" in html(county.get(record_url(activity)))
    own = page(world.a.branch_admin).post(
        reverse("console:record_rate", args=[activity.pk]), {"score": "100"}
    )
    assert own.status_code == 403
    assert Rating.objects.count() == 1


def test_the_record_list_shows_the_scope_only(world, activity, during, photo, page):
    body = html(page(world.a.admin).get(reverse("console:record_list")))
    assert activity.title in body and world.a.branch.name in body
    assert activity.title not in html(page(world.b.admin).get(reverse("console:record_list")))


def test_out_of_scope_records_and_photos_answer_404(world, activity, during, photo, page):
    for user in (world.b.admin, world.b.branch_admin):
        client = page(user)
        assert client.get(record_url(activity)).status_code == 404
        assert client.get(reverse("portal:photo", args=[photo.pk, "full"])).status_code == 404
        assert (
            client.post(
                reverse("console:record_photos", args=[activity.pk]),
                {"photos": [upload(image_bytes())]},
            ).status_code
            == 404
        )
    # Not an admin at all: the back office is closed; the photo does not exist for them.
    assert page(world.outsider).get(record_url(activity)).status_code == 403
    assert (
        page(world.outsider).get(reverse("portal:photo", args=[photo.pk, "thumb"])).status_code
        == 404
    )
    assert Photo.objects.count() == 1


def test_after_the_grace_period_the_upload_form_is_refused_with_a_message(world, activity, page):
    with time_machine.travel(DAY + timedelta(days=10), tick=False):
        client = page(world.a.branch_admin)
        client.post(
            reverse("console:record_photos", args=[activity.pk]),
            {"photos": [upload(image_bytes(), "late.jpg")]},
        )
        assert "late.jpg：活动已结束超过 72 小时" in html(client.get(record_url(activity)))
    assert Photo.objects.count() == 0
