"""Comments and reflections: roster members (flowing ones included) comment and reply
one level deep; forbidden words are refused; admins of the scope hide with a reason, and
the hidden comment is kept, audited and shown as hidden to its author only."""

import pytest
import time_machine
from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import selectors, services
from dangjian.interaction.models import Comment
from dangjian.registry import services as registry
from dangjian.registry.models import User
from dangjian.themedays import services as themedays
from tests.factories import make_member
from tests.interaction.conftest import DAY, DURING

pytestmark = pytest.mark.django_db


def comment(user, activity, body="学习了，很受启发。", **kw):
    return services.post_comment(actor=user, activity=activity, body=body, **kw)


def error_of(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    return exc.value


def test_roster_members_flowing_ones_included_comment_and_reply(world, activity, during):
    first = comment(world.a.member.user, activity)
    reply = comment(world.a.flowing.user, activity, "在深圳也参加了线上学习。", parent=first)
    assert first.author == world.a.member and first.parent is None
    assert reply.parent == first and reply.author == world.a.flowing
    assert selectors.comment_count(activity) == 2


def test_a_reply_to_a_reply_is_refused(world, activity, during):
    first = comment(world.a.member.user, activity)
    reply = comment(world.a.flowing.user, activity, parent=first)
    error = error_of(comment, world.a.member.user, activity, parent=reply)
    assert error.code == "reply_depth"


def test_a_non_member_cannot_comment(world, activity, during):
    # Members of other branches and people outside see nothing: not found.
    for user in (world.b.member.user, world.outsider):
        assert error_of(comment, user, activity).code == "not_found"
    other_branch_member = make_member(world.city_admin, world.a.other_branch, name="隔壁党员")
    assert error_of(comment, other_branch_member.user, activity).code == "not_found"
    # An admin above can read the activity but is not on its roster.
    assert error_of(comment, world.a.admin, activity).code == "forbidden"
    assert Comment.objects.count() == 0


def test_the_frozen_roster_decides_who_takes_part(world, activity):
    with time_machine.travel(DAY, tick=False):
        themedays.freeze_roster(activity=activity)
    activity.refresh_from_db()
    with time_machine.travel(DURING, tick=False):
        # Joined the branch after the start: not on this activity's roster.
        registry.transfer_member(
            actor=world.city_admin, member=world.b.member, to_branch=world.a.branch
        )
        newcomer = User.objects.get(pk=world.b.member.user_id)
        assert error_of(comment, newcomer, activity).code == "forbidden"
        assert comment(world.a.flowing.user, activity).author == world.a.flowing


def test_forbidden_words_are_refused_with_a_clear_message(world, activity, during):
    error = error_of(comment, world.a.member.user, activity, "有人在村里组织赌博")
    assert error.code == "forbidden_words"
    assert "赌博" in error.message and "请修改" in error.message
    assert error.details["words"] == ["赌博"]
    # Spaces and punctuation between the characters do not get past it.
    assert error_of(comment, world.a.member.user, activity, "赌 . 博").code == "forbidden_words"
    assert Comment.objects.count() == 0


def test_the_forbidden_words_come_from_the_settings(world, activity, during, settings):
    settings.COMMENT_FORBIDDEN_WORDS = []
    assert comment(world.a.member.user, activity, "赌博危害大，要坚决抵制").pk


def test_empty_and_overlong_comments_are_refused(world, activity, during):
    assert error_of(comment, world.a.member.user, activity, "   ").code == "validation_error"
    too_long = "学" * (services.COMMENT_MAX_CHARS + 1)
    assert error_of(comment, world.a.member.user, activity, too_long).code == "validation_error"


def test_no_comments_on_a_plan_that_is_not_approved(world, activity, during):
    from dangjian.themedays.models import ActivityStatus

    activity.status = ActivityStatus.SUBMITTED
    activity.save(update_fields=["status"])
    assert error_of(comment, world.a.member.user, activity).code == "invalid_status"


def test_the_reflection_at_check_out_is_the_authors_comment_once(world, activity, during):
    first = comment(world.a.member.user, activity, "心得：牢记初心使命。", is_reflection=True)
    again = comment(world.a.member.user, activity, "第二次签退", is_reflection=True)
    assert again.pk == first.pk and again.body == "心得：牢记初心使命。"
    assert first.is_reflection and first.parent is None
    # The database keeps one reflection per member and activity whatever the callers do.
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            activity=activity,
            author=world.a.member,
            body="x",
            is_reflection=True,
            created_at=first.created_at,
        )
    # A reflection with forbidden words is refused like any comment.
    error = error_of(comment, world.a.flowing.user, activity, "赌博", is_reflection=True)
    assert error.code == "forbidden_words"


def test_hiding_keeps_the_comment_audits_it_and_shows_it_hidden_to_its_author(
    world, activity, during
):
    c = comment(world.a.member.user, activity, "一条不当评论")
    services.hide_comment(actor=world.a.branch_admin, comment=c, reason="内容与活动无关")
    c.refresh_from_db()
    assert c.is_hidden and c.body == "一条不当评论" and c.hidden_reason == "内容与活动无关"
    assert c.hidden_by == world.a.branch_admin and c.hidden_at is not None
    entry = AuditEntry.objects.get(action="comment.hide")
    assert entry.actor == world.a.branch_admin and entry.org == world.a.branch
    assert entry.after["reason"] == "内容与活动无关" and entry.object_id == str(c.pk)

    def seen_by(user):
        rows = selectors.comment_views(
            user, activity, list(selectors.top_level_comments(user, activity))
        )
        return {v.id: v for v in rows}

    mine = seen_by(world.a.member.user)[c.pk]
    assert mine.is_hidden and mine.hidden_reason == "内容与活动无关"
    assert c.pk not in seen_by(world.a.flowing.user)
    assert seen_by(world.a.admin)[c.pk].body == "一条不当评论"
    assert selectors.comment_count(activity) == 0
    # Hidden comments take no replies and no likes; hiding twice is refused.
    assert error_of(comment, world.a.flowing.user, activity, parent=c).code == "comment_hidden"
    assert error_of(services.like_comment, actor=world.a.member.user, comment=c).code in (
        "forbidden",
        "not_found",
    )
    assert (
        error_of(services.hide_comment, actor=world.a.branch_admin, comment=c, reason="x").code
        == "already_hidden"
    )


def test_only_admins_of_the_scope_hide_and_a_reason_is_required(world, activity, during):
    c = comment(world.a.member.user, activity)
    hide = services.hide_comment
    assert error_of(hide, actor=world.a.flowing.user, comment=c, reason="x").code == "forbidden"
    assert error_of(hide, actor=world.b.admin, comment=c, reason="x").code == "not_found"
    assert error_of(hide, actor=world.outsider, comment=c, reason="x").code == "not_found"
    assert error_of(hide, actor=world.a.admin, comment=c, reason=" ").code == "reason_required"
    assert hide(actor=world.city_admin, comment=c, reason="不当言论").is_hidden
