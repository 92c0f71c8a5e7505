"""Likes (one per member, unlike allowed, kept unique by the database) and superiors'
ratings (0–100, by an ancestor organization's admin, higher levels replace lower ones,
every rating kept)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import selectors, services
from dangjian.interaction.models import ActivityLike, CommentLike, Rating
from tests.factories import make_admin
from tests.interaction.conftest import DAY

pytestmark = pytest.mark.django_db


def error_of(fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(**kwargs)
    return exc.value


# Likes -----------------------------------------------------------------------------------


def test_a_double_like_keeps_one_and_unlike_removes_it(world, activity, during):
    user = world.a.flowing.user
    assert services.like_activity(actor=user, activity=activity) is True
    assert services.like_activity(actor=user, activity=activity) is False
    assert selectors.like_count(activity) == 1
    assert selectors.liked_member_ids(activity) == {world.a.flowing.pk}
    assert services.unlike_activity(actor=user, activity=activity) is True
    assert services.unlike_activity(actor=user, activity=activity) is False
    assert selectors.like_count(activity) == 0


def test_the_database_refuses_a_second_like(world, activity, during):
    ActivityLike.objects.create(activity=activity, member=world.a.member, created_at=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityLike.objects.create(activity=activity, member=world.a.member, created_at=DAY)
    comment = services.post_comment(actor=world.a.flowing.user, activity=activity, body="好")
    CommentLike.objects.create(comment=comment, member=world.a.member, created_at=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentLike.objects.create(comment=comment, member=world.a.member, created_at=DAY)


def test_comments_are_liked_once_per_member(world, activity, during):
    comment = services.post_comment(actor=world.a.member.user, activity=activity, body="好")
    for _ in range(2):
        services.like_comment(actor=world.a.flowing.user, comment=comment)
    services.like_comment(actor=world.a.member.user, comment=comment)
    assert comment.likes.count() == 2
    services.unlike_comment(actor=world.a.flowing.user, comment=comment)
    assert list(comment.likes.values_list("member_id", flat=True)) == [world.a.member.pk]


def test_a_non_member_cannot_like(world, activity, during):
    for user in (world.b.member.user, world.b.admin, world.outsider):
        assert error_of(services.like_activity, actor=user, activity=activity).code == ("not_found")
    # Admins above read the activity but are not on its roster.
    assert error_of(services.like_activity, actor=world.a.admin, activity=activity).code == (
        "forbidden"
    )
    comment = services.post_comment(actor=world.a.member.user, activity=activity, body="好")
    assert error_of(services.like_comment, actor=world.outsider, comment=comment).code == (
        "not_found"
    )
    assert ActivityLike.objects.count() == 0 and CommentLike.objects.count() == 0


# Ratings ---------------------------------------------------------------------------------


def rate(user, activity, score=90, remark="组织有序，规定动作落实到位"):
    return services.rate_activity(actor=user, activity=activity, score=score, remark=remark)


def test_an_ancestor_admin_rates_a_held_activity(world, activity, during):
    rating = rate(world.a.admin, activity)
    assert (rating.score, rating.rater_org, rating.is_current) == (90, world.a.org, True)
    entry = AuditEntry.objects.get(action="activity.rate")
    assert entry.actor == world.a.admin and entry.after["score"] == 90


def test_the_branchs_own_admin_and_members_cannot_rate(world, activity, during):
    for user in (world.a.branch_admin, world.a.member.user):
        assert error_of(services.rate_activity, actor=user, activity=activity, score=80).code == (
            "forbidden"
        )
    for user in (world.b.admin, world.outsider):
        assert error_of(services.rate_activity, actor=user, activity=activity, score=80).code == (
            "not_found"
        )
    assert Rating.objects.count() == 0


@pytest.mark.parametrize("score", [-1, 101, 1000])
def test_a_rating_out_of_range_is_refused(world, activity, during, score):
    error = error_of(services.rate_activity, actor=world.a.admin, activity=activity, score=score)
    assert error.code == "score_out_of_range" and "0 到 100" in error.message
    assert Rating.objects.count() == 0


def test_the_database_keeps_scores_within_0_to_100(world, activity, during):
    rating = rate(world.a.admin, activity)
    rating.score = 120
    with pytest.raises(IntegrityError), transaction.atomic():
        rating.save(update_fields=["score"])


def test_a_higher_level_replaces_a_lower_one_and_both_are_kept(world, activity, during):
    town = make_admin(world.city_admin, world.a.town, "镇党委书记")
    rate(town, activity, 70, "基本完成")
    rate(world.a.admin, activity, 85, "县里复核")
    rate(world.city_admin, activity, 95, "市里抽查")
    history = selectors.rating_history(activity)
    assert [(r.score, r.is_current) for r in history] == [(95, True), (85, False), (70, False)]
    assert selectors.current_rating(activity).rater_org == world.city
    # A lower level cannot replace a higher one…
    error = error_of(services.rate_activity, actor=world.a.admin, activity=activity, score=60)
    assert error.code == "higher_rating_exists" and "汉中市" in error.message
    # …while the same level corrects its own rating.
    rate(world.city_admin, activity, 92, "更正")
    assert selectors.current_rating(activity).score == 92
    assert Rating.objects.filter(activity=activity).count() == 4


def test_a_plan_not_yet_held_cannot_be_rated(world, activity):
    with time_machine.travel(DAY - timedelta(hours=2), tick=False):
        error = error_of(services.rate_activity, actor=world.a.admin, activity=activity, score=80)
    assert error.code == "not_held"


def test_every_change_to_a_score_input_tells_scoring(world, activity, during, monkeypatch):
    from dangjian.scoring import services as scoring
    from tests.interaction.conftest import image_bytes, upload

    told = []
    monkeypatch.setattr(
        scoring, "inputs_changed", lambda *, activity_id, debounce=False: told.append(activity_id)
    )
    services.like_activity(actor=world.a.flowing.user, activity=activity)
    services.like_activity(actor=world.a.flowing.user, activity=activity)  # no change
    services.unlike_activity(actor=world.a.flowing.user, activity=activity)
    c = services.post_comment(actor=world.a.member.user, activity=activity, body="好")
    services.hide_comment(actor=world.a.branch_admin, comment=c, reason="重复")
    services.upload_photo(actor=world.a.branch_admin, activity=activity, file=upload(image_bytes()))
    services.write_summary(actor=world.a.branch_admin, activity=activity, text="总结")
    rate(world.a.admin, activity)
    assert told == [activity.pk] * 7
