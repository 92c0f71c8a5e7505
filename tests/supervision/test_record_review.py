"""退回补充: a superior passes a closed activity's record or sends it back with a reason and
a deadline; the branch supplements and resubmits; the superior reviews again; every step
is kept. Only the superiors of the branch decide, only the branch's admins resubmit."""

from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import services as interaction
from dangjian.interaction.models import Evidence, Photo, Summary
from dangjian.notifications.models import Notification
from dangjian.supervision import review_selectors, reviewing, reviews
from dangjian.supervision.models import RecordReview, ReviewStatus
from dangjian.themedays.models import Activity, ActivityStatus
from tests.interaction.conftest import image_bytes
from tests.scoring.conftest import NOW, SHANGHAI, make_activity

pytestmark = pytest.mark.django_db
TODAY = NOW.date()
DECEMBER = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def record(world, clock):
    """County A's branch's December theme day, closed weeks ago (past its grace period)."""
    return make_activity(world.a.branch, DECEMBER)


def send_back(world, activity, *, deadline=None, actor=None):
    return reviews.send_back_record(
        actor=actor or world.a.admin,
        activity=activity,
        reason="照片与活动不符，总结过于简单",
        deadline=deadline or TODAY + timedelta(days=7),
    )


def test_a_record_sent_back_supplemented_and_resubmitted_is_reviewed_again_and_passed(
    world, record, clock
):
    review = send_back(world, record)
    assert (review.status, review.send_back_count, review.reviewer_org) == (
        ReviewStatus.SENT_BACK,
        1,
        world.a.org,
    )
    assert Notification.objects.filter(user=world.a.branch_admin, kind="record_review").exists()

    interaction.write_summary(actor=world.a.branch_admin, activity=record, text="补充的总结" * 30)
    review = reviews.resubmit_record(actor=world.a.branch_admin, review=review, note="已补充总结")
    assert review.status == ReviewStatus.RESUBMITTED
    assert Notification.objects.filter(user=world.a.admin, kind="record_review").exists()

    review = reviews.send_back_record(
        actor=world.a.admin, activity=record, reason="仍缺少现场照片", deadline=TODAY
    )
    assert (review.status, review.send_back_count, review.reason) == (
        ReviewStatus.SENT_BACK,
        2,
        "仍缺少现场照片",
    )
    review = reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    review = reviews.pass_record(actor=world.a.admin, activity=record, remark="合格")
    assert review.status == ReviewStatus.PASSED and review.passed_at is not None

    steps = [(e.action, e.actor, e.text) for e in review_selectors.history(review)]
    assert steps == [
        ("send_back", world.a.admin, "照片与活动不符，总结过于简单"),
        ("resubmit", world.a.branch_admin, "已补充总结"),
        ("send_back", world.a.admin, "仍缺少现场照片"),
        ("resubmit", world.a.branch_admin, ""),
        ("pass", world.a.admin, "合格"),
    ]
    audited = AuditEntry.objects.filter(action__startswith="record_review.").values_list(
        "action", flat=True
    )
    assert sorted(audited) == sorted(
        ["record_review.send_back", "record_review.resubmit"] * 2 + ["record_review.pass"]
    )


def test_a_record_never_sent_back_is_passed_directly_and_then_decided_for_good(
    world, record, clock
):
    review = reviews.pass_record(actor=world.a.admin, activity=record)
    assert review.status == ReviewStatus.PASSED and review.send_back_count == 0
    with pytest.raises(DomainError) as e:
        send_back(world, record)
    assert e.value.code == "already_reviewed"
    with pytest.raises(DomainError) as e:
        reviews.pass_record(actor=world.city_admin, activity=record)
    assert e.value.code == "already_reviewed"


def test_a_record_sent_back_waits_for_the_branch_until_its_deadline(world, record, clock):
    review = send_back(world, record, deadline=TODAY + timedelta(days=2))
    for decide in (
        lambda: reviews.pass_record(actor=world.a.admin, activity=record),
        lambda: send_back(world, record),
    ):
        with pytest.raises(DomainError) as e:
            decide()
        assert e.value.code == "already_sent_back"

    # The deadline day is the last day to resubmit.
    clock.move_to(NOW + timedelta(days=2, hours=14))
    clock.move_to(NOW + timedelta(days=3))
    with pytest.raises(DomainError) as e:
        reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    assert e.value.code == "deadline_passed"
    assert review_selectors.is_overdue(RecordReview.objects.get(pk=review.pk))
    # Past its deadline the reviewer may send it back again with a new one (never pass it).
    with pytest.raises(DomainError) as e:
        reviews.pass_record(actor=world.a.admin, activity=record)
    assert e.value.code == "already_sent_back"
    review = send_back(world, record, deadline=TODAY + timedelta(days=10))
    assert review.send_back_count == 2
    assert reviews.resubmit_record(actor=world.a.branch_admin, review=review).status == (
        ReviewStatus.RESUBMITTED
    )


def test_the_deadline_day_itself_still_takes_a_resubmission(world, record, clock):
    review = send_back(world, record, deadline=TODAY + timedelta(days=1))
    clock.move_to(datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), SHANGHAI))
    clock.move_to(NOW + timedelta(days=1, hours=14))
    assert reviews.resubmit_record(actor=world.a.branch_admin, review=review).status == (
        ReviewStatus.RESUBMITTED
    )


@pytest.mark.parametrize(
    ("deadline", "reason", "field"),
    [
        (TODAY - timedelta(days=1), "理由", "deadline"),
        (None, "理由", "deadline"),
        (TODAY, " ", "reason"),
    ],
)
def test_a_send_back_needs_a_reason_and_a_deadline_from_today(
    world, record, clock, deadline, reason, field
):
    with pytest.raises(DomainError) as e:
        reviews.send_back_record(
            actor=world.a.admin, activity=record, reason=reason, deadline=deadline
        )
    assert (e.value.code, e.value.details.get("field")) == ("validation_error", field)
    assert not RecordReview.objects.exists()


def test_only_closed_activities_are_reviewed(world, clock):
    approved = make_activity(world.a.branch, DECEMBER, status=ActivityStatus.APPROVED)
    with pytest.raises(DomainError) as e:
        reviews.pass_record(actor=world.a.admin, activity=approved)
    assert e.value.code == "not_closed"


def test_resubmitting_a_record_not_sent_back_is_refused(world, record, clock):
    review = send_back(world, record)
    reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    with pytest.raises(DomainError) as e:
        reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    assert e.value.code == "not_sent_back"


def test_only_the_superiors_of_the_branch_decide(world, record, clock):
    """The branch's own secretary, the other county's admin and an outsider cannot; the
    town's is not an admin here, the city's is (in its own name)."""
    for actor, code in (
        (world.a.branch_admin, "forbidden"),
        (world.b.admin, "not_found"),
        (world.outsider, "not_found"),
        (world.a.member.user, "forbidden"),
    ):
        with pytest.raises(DomainError) as e:
            send_back(world, record, actor=actor)
        assert e.value.code == code, actor
    review = send_back(world, record, actor=world.city_admin)
    assert review.reviewer_org == world.city


def test_only_the_branch_s_own_admins_resubmit(world, record, clock):
    review = send_back(world, record)
    for actor, code in (
        (world.a.admin, "forbidden"),
        (world.city_admin, "forbidden"),
        (world.b.branch_admin, "not_found"),
        (world.outsider, "not_found"),
        (world.a.member.user, "not_found"),
    ):
        with pytest.raises(DomainError) as e:
            reviews.resubmit_record(actor=actor, review=review)
        assert e.value.code == code, actor


# Supplementing: the record reopens to the branch while it is sent back, and only then --


def test_a_record_past_its_grace_period_takes_photos_and_a_summary_only_while_sent_back(
    world, record, clock
):
    photo = SimpleUploadedFile("现场.jpg", image_bytes(), content_type="image/jpeg")
    with pytest.raises(DomainError) as e:
        interaction.write_summary(actor=world.a.branch_admin, activity=record, text="补写")
    assert e.value.code == "record_closed"

    review = send_back(world, record)
    interaction.write_summary(actor=world.a.branch_admin, activity=record, text="补充的总结")
    interaction.upload_photo(actor=world.a.branch_admin, activity=record, file=photo)
    assert Summary.objects.get(activity=record).text == "补充的总结"
    assert Photo.objects.get(activity=record).is_late

    reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    with pytest.raises(DomainError) as e:
        interaction.write_summary(actor=world.a.branch_admin, activity=record, text="再改")
    assert e.value.code == "record_closed"


def test_a_record_sent_back_is_not_rated_until_resubmitted(world, record, clock):
    review = send_back(world, record)
    with pytest.raises(DomainError) as e:
        interaction.rate_activity(actor=world.a.admin, activity=record, score=60)
    assert e.value.code == "record_sent_back"
    reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    assert interaction.rate_activity(actor=world.a.admin, activity=record, score=60).score == 60


# The rules, as a table ------------------------------------------------------------------

D = date(2027, 1, 10)


@pytest.mark.parametrize(
    ("status", "deadline", "today", "decide", "resubmit", "overdue", "supplement", "rate"),
    [
        (None, None, D, None, "not_sent_back", False, False, True),
        ("sent_back", D, D, "already_sent_back", None, False, True, False),
        ("sent_back", D, D + timedelta(days=1), None, "deadline_passed", True, True, False),
        ("resubmitted", D, D + timedelta(days=5), None, "not_sent_back", False, False, True),
        ("passed", None, D, "already_reviewed", "not_sent_back", False, False, True),
    ],
)
def test_the_review_rules(status, deadline, today, decide, resubmit, overdue, supplement, rate):
    assert reviewing.refusal_to_decide(status, deadline, today) == decide
    assert reviewing.refusal_to_resubmit(status, deadline, today) == resubmit
    assert reviewing.is_overdue(status, deadline, today) is overdue
    assert reviewing.supplement_open(status) is supplement
    assert reviewing.rating_allowed(status) is rate


@pytest.mark.parametrize(
    ("status", "passable"),
    [(None, True), ("resubmitted", True), ("sent_back", False), ("passed", False)],
)
def test_only_a_record_never_decided_or_resubmitted_is_passed(status, passable):
    assert reviewing.may_pass(status) is passable


@pytest.mark.parametrize(("chars", "thin"), [(None, True), (0, True), (99, True), (100, False)])
def test_a_summary_under_a_hundred_characters_is_thin(chars, thin):
    assert reviewing.is_thin(chars) is thin


# The reads ------------------------------------------------------------------------------


def test_the_queue_puts_flagged_photos_then_thin_summaries_first(world, clock):
    a = world.a
    plain = make_activity(a.branch, date(2026, 10, 1))
    Summary.objects.create(
        activity=plain, text="详" * 300, created_at=NOW, updated_at=NOW, updated_by=a.branch_admin
    )
    thin = make_activity(a.branch, date(2026, 11, 1))
    flagged = make_activity(a.other_branch, DECEMBER)
    Summary.objects.create(
        activity=flagged, text="详" * 300, created_at=NOW, updated_at=NOW, updated_by=a.branch_admin
    )
    Photo.objects.create(
        activity=flagged,
        image="x.jpg",
        thumbnail="x_t.jpg",
        width=1,
        height=1,
        size=1,
        source_type="jpeg",
        original_size=1,
        evidence=Evidence.FLAGGED,
        is_time_mismatch=True,
        created_at=NOW,
    )
    passed = make_activity(a.branch, DECEMBER)
    reviews.pass_record(actor=a.admin, activity=passed)
    make_activity(world.b.branch, DECEMBER)  # another county's
    historical = make_activity(a.branch, date(2026, 9, 1))
    Activity.objects.filter(pk=historical.pk).update(is_historical=True, is_late_record=True)

    queue = list(review_selectors.review_queue(a.admin))
    assert queue == [flagged, thin, plain]
    assert [(x.flagged_photos, x.summary_chars) for x in queue] == [(1, 300), (0, 0), (0, 300)]
    assert review_selectors.queue_count(a.admin) == 3
    assert list(review_selectors.review_queue(a.admin, state="passed")) == [passed]
    # The branch's own secretary reviews nothing; the city reviews both counties.
    assert review_selectors.queue_count(a.branch_admin) == 0
    assert review_selectors.queue_count(world.city_admin) == 4
    assert review_selectors.queue_count(world.outsider) == 0


def test_send_backs_and_the_unanswered_ones_are_read_for_any_branches_and_time(world, clock):
    a = world.a
    one = make_activity(a.branch, DECEMBER)
    two = make_activity(a.other_branch, DECEMBER)
    other = make_activity(world.b.branch, DECEMBER)
    first = send_back(world, one, deadline=TODAY + timedelta(days=1))  # answered on time
    send_back(world, two, deadline=TODAY + timedelta(days=1))  # never answered
    reviews.send_back_record(actor=world.b.admin, activity=other, reason="缺照片", deadline=TODAY)
    clock.move_to(NOW + timedelta(hours=2))
    reviews.resubmit_record(actor=a.branch_admin, review=first)

    branches = [a.branch.pk, a.other_branch.pk]
    rows = review_selectors.send_backs(branches, TODAY, TODAY + timedelta(days=1))
    assert [(r.activity_id, r.deadline) for r in rows] == [
        (one.pk, TODAY + timedelta(days=1)),
        (two.pk, TODAY + timedelta(days=1)),
    ]
    assert rows[0].resubmitted_at == NOW + timedelta(hours=2) and rows[1].resubmitted_at is None
    assert (
        review_selectors.send_backs(branches, TODAY + timedelta(days=1), TODAY + timedelta(7)) == []
    )

    # Unanswered: past the deadline day and not resubmitted by then.
    assert review_selectors.unanswered_send_backs(branches, NOW + timedelta(days=1)) == []
    late = review_selectors.unanswered_send_backs(branches, NOW + timedelta(days=2))
    assert [r.activity_id for r in late] == [two.pk]
    everyone = [*branches, world.b.branch.pk]
    assert {
        r.activity_id
        for r in review_selectors.unanswered_send_backs(everyone, NOW + timedelta(days=2))
    } == {
        two.pk,
        other.pk,
    }
    # Sent back again after its deadline: counted once, by the latest send-back.
    clock.move_to(NOW + timedelta(days=3))
    send_back(world, two, deadline=TODAY + timedelta(days=5))
    assert review_selectors.unanswered_send_backs(branches, NOW + timedelta(days=4)) == []
    # ...and as it stood at an earlier moment.
    assert [
        r.activity_id
        for r in review_selectors.unanswered_send_backs(branches, NOW + timedelta(days=2))
    ] == [two.pk]


def test_the_branch_sees_the_records_sent_back_to_it(world, clock):
    mine = make_activity(world.a.branch, DECEMBER)
    send_back(world, mine)
    neighbour = make_activity(world.a.other_branch, DECEMBER)
    send_back(world, neighbour)
    assert [r.activity for r in review_selectors.sent_back_records(world.a.branch_admin)] == [mine]
    # A county admin runs no branch of its own: nothing to answer.
    assert list(review_selectors.sent_back_records(world.a.admin)) == []
    assert list(review_selectors.sent_back_records(world.outsider)) == []


def test_the_queue_puts_records_missing_required_items_before_complete_ones(world, clock):
    """Of two records alike in photos and summary, the one whose required items are not
    marked done comes first, and the page says which are missing."""
    from dangjian.orglife.models import ItemEvidence
    from dangjian.themedays.items import ORDER
    from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

    a = world.a
    complete = make_activity(a.branch, date(2026, 10, 1))
    missing = make_activity(a.other_branch, date(2026, 11, 1))
    for activity in (complete, missing):
        activity.agenda = list(DEFAULT_REQUIRED_ITEMS)
        activity.save(update_fields=["agenda"])
    ItemEvidence.objects.bulk_create(
        ItemEvidence(activity=complete, item=code, is_done=True, text="记录", recorded_at=NOW)
        for code in ORDER
    )
    ItemEvidence.objects.create(
        activity=missing, item="charter", is_done=True, text="记录", recorded_at=NOW
    )
    queue = review_selectors.with_missing_items(list(review_selectors.review_queue(a.admin)))
    assert queue == [missing, complete]
    assert queue[0].missing_items == ["dues", "study", "org_life", "deliberation", "disclosure"]
    assert queue[0].missing_item_labels[0] == "缴纳党费"
    assert queue[1].missing_items == []


def test_someone_out_of_scope_learns_nothing_from_a_bad_send_back(world, record, clock):
    """The permission is asked before the reason and the deadline are checked."""
    for actor in (world.outsider, world.b.admin):
        with pytest.raises(DomainError) as e:
            reviews.send_back_record(actor=actor, activity=record, reason="", deadline=None)
        assert e.value.code == "not_found"
