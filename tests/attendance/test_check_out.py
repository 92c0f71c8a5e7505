from datetime import timedelta

import pytest

from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.core.errors import DomainError
from dangjian.interaction.models import Comment
from tests.attendance.conftest import (
    AFTER_END,
    CHECKOUT_CLOSES,
    DURING,
    END,
    SECOND,
    at,
    check_in,
    check_out,
)

pytestmark = pytest.mark.django_db


def refusal(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        fn(*args, **kwargs)
    return refused.value


@pytest.fixture
def checked_in(world, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
    return activity


def test_check_out_after_the_end_with_a_reflection_posts_it_as_the_members_comment(
    world, checked_in
):
    with at(AFTER_END):
        outcome = check_out(
            world.a.member.user, checked_in, reflection="  重温入党誓词，深受教育。 "
        )
    assert outcome.created
    assert outcome.record.status == "checked_out"
    assert outcome.record.checked_out_at == AFTER_END
    assert outcome.record.checked_in_at == DURING
    comment = Comment.objects.get(activity=checked_in, author=world.a.member)
    assert comment.is_reflection
    assert comment.body == "重温入党誓词，深受教育。"


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (END - SECOND, "too_early"),
        (END, None),
        (END + SECOND, None),
        (CHECKOUT_CLOSES - SECOND, None),
        (CHECKOUT_CLOSES, None),
        (CHECKOUT_CLOSES + SECOND, "too_late"),
    ],
    ids=["end-1s", "end", "end+1s", "closes-1s", "closes", "closes+1s"],
)
def test_check_out_is_open_from_the_end_to_60_minutes_after_it(world, checked_in, when, code):
    with at(when):
        if code is None:
            assert check_out(world.a.member.user, checked_in).record.status == "checked_out"
        else:
            assert refusal(check_out, world.a.member.user, checked_in).code == code


def test_check_out_before_the_end_says_when_it_opens(world, checked_in):
    with at(END - timedelta(minutes=30)):
        refused = refusal(check_out, world.a.member.user, checked_in)
    assert refused.code == "too_early"
    assert refused.details["opens_at"] == END.isoformat()
    assert "11:00" in refused.message


def test_check_out_without_a_check_in_is_refused(world, checked_in):
    with at(AFTER_END):
        assert refusal(check_out, world.a.flowing.user, checked_in).code == "not_checked_in"
    assert not AttendanceRecord.objects.filter(member=world.a.flowing).exists()


@pytest.mark.parametrize("reflection", ["", "   ", None])
def test_check_out_without_a_reflection_is_refused(world, checked_in, reflection):
    with at(AFTER_END):
        refused = refusal(check_out, world.a.member.user, checked_in, reflection=reflection)
    assert refused.code == "reflection_required"
    assert AttendanceRecord.objects.get(member=world.a.member).status == "checked_in"


def test_check_out_outside_the_radius_is_refused(world, checked_in):
    with at(AFTER_END):
        refused = refusal(check_out, world.a.member.user, checked_in, metres=1000)
    assert (refused.code, refused.details["distance_m"]) == ("out_of_range", 1000)
    assert "1.0 公里" in refused.message


def test_a_repeated_check_out_changes_nothing(world, checked_in):
    with at(AFTER_END):
        first = check_out(world.a.member.user, checked_in, reflection="第一次")
    with at(AFTER_END + timedelta(minutes=5)):
        again = check_out(world.a.member.user, checked_in, reflection="第二次", metres=250)
    assert first.created and not again.created
    assert again.record.checked_out_at == AFTER_END
    assert again.record.checkout_distance_m == first.record.checkout_distance_m
    bodies = list(Comment.objects.filter(activity=checked_in).values_list("body", flat=True))
    assert bodies == ["第一次"]
    codes = list(
        CheckInAttempt.objects.filter(kind="check_out")
        .order_by("at")
        .values_list("code", flat=True)
    )
    assert codes == ["accepted", "repeated"]


def test_a_reflection_with_a_forbidden_word_refuses_the_check_out(world, checked_in, settings):
    settings.COMMENT_FORBIDDEN_WORDS = ["违禁词"]
    with at(AFTER_END):
        refused = refusal(check_out, world.a.member.user, checked_in, reflection="含有违禁词的内容")
    assert refused.code == "forbidden_words"
    assert AttendanceRecord.objects.get(member=world.a.member).status == "checked_in"
    assert not Comment.objects.exists()
    assert CheckInAttempt.objects.filter(kind="check_out").get().code == "forbidden_words"
