"""Reading: counted once, and only after the minimum reading time on the server's clock (or
at the end of a short article); study minutes per member and month."""

from datetime import date, timedelta

import pytest
import time_machine

from dangjian.core.errors import DomainError
from dangjian.learning import selectors, services
from dangjian.learning.models import Reading
from tests.learning.articles import NOW, SHORT_BODY, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def article(world, clock):
    return published(world, county=world.a)


def test_a_reading_counts_only_after_the_minimum_time(world, article, clock):
    member = world.a.member
    services.start_reading(member=member, article=article)
    clock.shift(59)
    with pytest.raises(DomainError) as exc:
        services.finish_reading(member=member, article=article, reached_end=True)
    assert exc.value.code == "reading_too_short"
    assert exc.value.details["seconds_left"] == 1
    assert Reading.objects.get().counted_at is None
    clock.shift(1)
    reading = services.finish_reading(member=member, article=article)
    assert reading.counted_at == NOW + timedelta(seconds=60)
    assert reading.finished_at == reading.counted_at and reading.seconds == 60


def test_the_minimum_time_is_a_setting(world, article, clock, settings):
    settings.LEARNING_MIN_READING_SECONDS = 5
    services.start_reading(member=world.a.member, article=article)
    clock.shift(5)
    assert services.finish_reading(member=world.a.member, article=article).seconds == 5


def test_a_reading_counts_once(world, article, clock):
    member = world.a.member
    services.start_reading(member=member, article=article)
    clock.shift(90)
    counted = services.finish_reading(member=member, article=article)
    clock.shift(600)
    services.start_reading(member=member, article=article)
    again = services.finish_reading(member=member, article=article)
    assert Reading.objects.count() == 1
    assert (again.counted_at, again.seconds, again.opened_at) == (
        counted.counted_at,
        90,
        NOW,
    )


def test_opening_again_starts_the_clock_again(world, article, clock):
    member = world.a.member
    services.start_reading(member=member, article=article)
    clock.shift(50)
    services.start_reading(member=member, article=article)
    clock.shift(50)
    with pytest.raises(DomainError) as exc:
        services.finish_reading(member=member, article=article)
    assert exc.value.details["seconds_left"] == 10


def test_a_short_article_counts_when_its_end_is_reached(world, clock):
    short = published(world, county=world.a, body=SHORT_BODY)
    assert services.is_short(short)
    member = world.a.member
    services.start_reading(member=member, article=short)
    clock.shift(8)
    with pytest.raises(DomainError):
        services.finish_reading(member=member, article=short)  # the end was not reached
    reading = services.finish_reading(member=member, article=short, reached_end=True)
    assert reading.counted_at is not None and reading.seconds == 8


def test_a_long_article_does_not_count_at_its_end_before_the_minimum_time(world, article, clock):
    assert not services.is_short(article)
    services.start_reading(member=world.a.member, article=article)
    clock.shift(10)
    with pytest.raises(DomainError) as exc:
        services.finish_reading(member=world.a.member, article=article, reached_end=True)
    assert exc.value.code == "reading_too_short"


def test_finishing_without_opening_is_refused(world, article):
    with pytest.raises(DomainError) as exc:
        services.finish_reading(member=world.a.member, article=article)
    assert exc.value.code == "reading_not_started"


def test_a_member_outside_the_reach_does_not_read(world, article):
    with pytest.raises(DomainError) as exc:
        services.start_reading(member=world.b.member, article=article)
    assert exc.value.code == "not_in_scope"
    assert not Reading.objects.exists()


def test_a_withdrawn_article_is_not_read(world, article):
    services.withdraw_article(actor=world.a.admin, article=article)
    article.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.start_reading(member=world.a.member, article=article)
    assert exc.value.code == "not_published"


def test_study_minutes_add_up_per_member_and_month(world, clock):
    member = world.a.member
    first = published(world, county=world.a, title="一")
    second = published(world, county=world.a, title="二")
    third = published(world, county=world.a, title="三")
    services.start_reading(member=member, article=first)
    clock.shift(150)
    services.finish_reading(member=member, article=first)  # 2.5 minutes
    services.start_reading(member=member, article=second)
    clock.shift(timedelta(hours=3))
    services.finish_reading(member=member, article=second)  # capped at 30 minutes
    clock.move_to(NOW.replace(month=12, day=31, hour=23, minute=59))
    services.start_reading(member=member, article=third)
    clock.shift(120)  # finished on 1 January, local time
    services.finish_reading(member=member, article=third)

    december = selectors.study_month(member, date(2026, 12, 1))
    assert (december.articles, december.seconds, december.minutes) == (2, 150 + 1800, 32)
    january = selectors.study_month(member, date(2027, 1, 15))
    assert (january.articles, january.minutes) == (1, 2)
    assert selectors.study_month(world.a.flowing, date(2026, 12, 1)).minutes == 0
