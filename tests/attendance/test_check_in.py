from datetime import timedelta

import pytest

from dangjian.attendance import checkin, services
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.core.errors import DomainError
from dangjian.registry import services as registry
from dangjian.themedays import services as themedays
from tests.attendance.conftest import (
    CHECKIN_CLOSES,
    CHECKIN_OPENS,
    DURING,
    SECOND,
    START,
    at,
    check_in,
    near,
)

pytestmark = pytest.mark.django_db


def refusal(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        fn(*args, **kwargs)
    return refused.value


def test_a_roster_member_at_the_venue_during_the_window_checks_in_at_server_time(world, activity):
    with at(DURING):
        outcome = check_in(world.a.member.user, activity, metres=120)
    assert outcome.created
    record = outcome.record
    assert record.status == "checked_in"
    assert record.checked_in_at == DURING
    assert record.checkin_distance_m == 120
    assert AttendanceRecord.objects.filter(activity=activity).count() == 1


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (CHECKIN_OPENS - SECOND, "too_early"),
        (CHECKIN_OPENS, None),
        (CHECKIN_OPENS + SECOND, None),
        (CHECKIN_CLOSES - SECOND, None),
        (CHECKIN_CLOSES, None),
        (CHECKIN_CLOSES + SECOND, "too_late"),
    ],
    ids=["opens-1s", "opens", "opens+1s", "closes-1s", "closes", "closes+1s"],
)
def test_check_in_is_open_from_30_minutes_before_to_15_minutes_after_the_start(
    world, activity, when, code
):
    with at(when):
        if code is None:
            assert check_in(world.a.member.user, activity).record.status == "checked_in"
        else:
            assert refusal(check_in, world.a.member.user, activity).code == code


def test_too_early_says_when_check_in_opens(world, activity):
    with at(CHECKIN_OPENS - timedelta(hours=1)):
        refused = refusal(check_in, world.a.member.user, activity)
    assert refused.code == "too_early"
    assert refused.details["opens_at"] == CHECKIN_OPENS.isoformat()
    assert "08:30" in refused.message


def test_too_late_says_when_check_in_closed(world, activity):
    with at(CHECKIN_CLOSES + timedelta(minutes=5)):
        refused = refusal(check_in, world.a.member.user, activity)
    assert refused.code == "too_late"
    assert refused.details["closed_at"] == CHECKIN_CLOSES.isoformat()
    assert "09:15" in refused.message


@pytest.mark.parametrize(("metres", "ok"), [(299, True), (300, True), (301, False)])
def test_the_distance_to_the_venue_must_be_within_the_radius(world, activity, metres, ok):
    with at(DURING):
        if ok:
            assert check_in(world.a.member.user, activity, metres=metres).record.status
        else:
            refused = refusal(check_in, world.a.member.user, activity, metres=metres)
            assert refused.code == "out_of_range"
            assert refused.details == {"distance_m": 301, "radius_m": 300}


def test_out_of_range_tells_the_distance_in_kilometres_and_the_limit(world, activity):
    with at(DURING):
        refused = refusal(check_in, world.a.member.user, activity, metres=1200)
    assert refused.code == "out_of_range"
    assert refused.message.startswith("你距离活动地点 1.2 公里，签到范围为 300 米")


def test_a_position_less_precise_than_the_radius_is_refused_as_imprecise(world, activity):
    with at(DURING):
        refused = refusal(check_in, world.a.member.user, activity, metres=10, accuracy=301)
        assert refused.code == "imprecise_location"
        assert refused.details == {"accuracy_m": 301, "radius_m": 300}
        assert check_in(world.a.member.user, activity, accuracy=300).record.status


def test_members_not_on_the_roster_are_refused(world, activity):
    with at(DURING):
        for user in (world.b.member.user, world.outsider, world.a.admin):
            assert refusal(check_in, user, activity).code == "not_on_roster"


def test_a_member_who_left_the_branch_before_the_start_is_not_on_the_roster(world, activity):
    registry.transfer_member(
        actor=world.city_admin, member=world.a.member, to_branch=world.a.other_branch
    )
    with at(START + timedelta(minutes=1)):
        themedays.freeze_due_rosters()
        assert refusal(check_in, world.a.member.user, activity).code == "not_on_roster"
        assert check_in(world.a.flowing.user, activity).record.status == "checked_in"


def test_a_member_who_left_before_the_start_is_refused_even_before_the_roster_is_frozen(
    world, activity
):
    registry.mark_member_left(actor=world.city_admin, member=world.a.member, reason="迁出")
    with at(DURING):
        assert refusal(check_in, world.a.member.user, activity).code == "not_on_roster"
    # After the start the job may not have run yet: the check-in freezes the roster itself.
    with at(START + timedelta(minutes=5)):
        assert refusal(check_in, world.a.member.user, activity).code == "not_on_roster"
    activity.refresh_from_db()
    assert activity.roster_frozen_at is not None


def test_a_made_up_token_is_invalid(world, activity):
    with at(DURING):
        for token in ("x" * 32, "", "../../etc/passwd"):
            assert refusal(check_in, world.a.member.user, activity, token=token).code == (
                "invalid_token"
            )


def test_a_token_from_before_a_regeneration_is_invalid(world, activity):
    old = activity.checkin_token
    themedays.regenerate_checkin_token(actor=world.a.branch_admin, activity=activity)
    activity.refresh_from_db()
    with at(DURING):
        assert refusal(check_in, world.a.member.user, activity, token=old).code == "invalid_token"
        assert check_in(world.a.member.user, activity).record.status == "checked_in"


def test_a_cancelled_activity_refuses_check_in(world, activity):
    with at(DURING - timedelta(minutes=10)):
        themedays.cancel_activity(actor=world.a.branch_admin, activity=activity, reason="暴雨")
    with at(DURING):
        assert refusal(check_in, world.a.member.user, activity).code == "cancelled"


def test_a_plan_sent_back_to_review_refuses_check_in_as_not_approved(world, activity):
    themedays.update_activity(actor=world.a.branch_admin, activity=activity, title="改期后的党日")
    with at(DURING):
        assert refusal(check_in, world.a.member.user, activity).code == "not_approved"


def test_a_repeated_check_in_returns_the_first_unchanged(world, activity):
    with at(DURING):
        first = check_in(world.a.member.user, activity, metres=50)
    with at(DURING + timedelta(minutes=3)):
        again = check_in(world.a.member.user, activity, metres=250)
    assert first.created and not again.created
    assert again.record.id == first.record.id
    assert again.record.checked_in_at == DURING
    assert again.record.checkin_distance_m == 50
    assert AttendanceRecord.objects.filter(activity=activity).count() == 1
    codes = list(CheckInAttempt.objects.order_by("at").values_list("code", flat=True))
    assert codes == ["accepted", "repeated"]


def test_every_attempt_is_logged_with_position_accuracy_distance_and_the_phone(world, activity):
    client = checkin.ClientInfo(
        ip="10.1.2.3",
        user_agent="Mozilla/5.0 MicroMessenger/8.0",
        device_id="dev-1234567890",
        meta={"client_time": "2026-12-10T07:00:00+08:00"},
    )
    with at(DURING):
        refusal(check_in, world.a.member.user, activity, metres=900, client=client)
        check_in(world.a.member.user, activity, metres=40, accuracy=12, client=client)
    refused, accepted = CheckInAttempt.objects.order_by("at", "id")
    assert (refused.code, refused.distance_m) == ("out_of_range", 900)
    assert (accepted.code, accepted.distance_m, accepted.accuracy_m) == ("accepted", 40, 12)
    for attempt in (refused, accepted):
        assert attempt.activity_id == activity.pk
        assert attempt.member_id == world.a.member.pk
        assert attempt.at == DURING
        assert attempt.ip == "10.1.2.3"
        assert attempt.user_agent.startswith("Mozilla")
        assert attempt.device_id == "dev-1234567890"
        # The phone's clock is kept as what it said, never used.
        assert attempt.client["client_time"] == "2026-12-10T07:00:00+08:00"
    lat, lon = near(40)
    assert float(accepted.latitude) == pytest.approx(lat, abs=1e-6)
    assert float(accepted.longitude) == pytest.approx(lon, abs=1e-6)


def test_an_attempt_with_an_unknown_token_is_logged_without_an_activity(world, activity):
    with at(DURING):
        refusal(check_in, world.a.member.user, activity, token="y" * 32)
    attempt = CheckInAttempt.objects.get()
    assert (attempt.code, attempt.activity_id) == ("invalid_token", None)


@pytest.mark.parametrize(
    ("lat", "lon", "acc", "field"),
    [
        (91, 107.0, 10, "latitude"),
        (33.0, 181, 10, "longitude"),
        ("abc", 107.0, 10, "latitude"),
        (None, 107.0, 10, "latitude"),
        (float("nan"), 107.0, 10, "latitude"),
        (33.0, 107.0, -1, "accuracy_m"),
        (True, 107.0, 10, "latitude"),
    ],
)
def test_invalid_coordinates_are_a_validation_error(world, activity, lat, lon, acc, field):
    with at(DURING):
        refused = refusal(
            checkin.check_in,
            actor=world.a.member.user,
            token=activity.checkin_token,
            latitude=lat,
            longitude=lon,
            accuracy_m=acc,
        )
    assert (refused.code, refused.details["field"]) == ("validation_error", field)


def test_a_member_on_approved_leave_who_comes_anyway_is_checked_in(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    services.approve_leave(actor=world.a.branch_admin, leave=leave)
    with at(DURING):
        outcome = check_in(world.a.member.user, activity)
    assert outcome.record.status == "checked_in"
    assert AttendanceRecord.objects.filter(activity=activity).count() == 1


def test_one_phone_checking_in_several_members_is_flagged(world, activity):
    phone = checkin.ClientInfo(device_id="shared-phone-0001")
    with at(DURING):
        first = check_in(world.a.member.user, activity, client=phone)
        assert not first.record.is_device_shared
        second = check_in(world.a.flowing.user, activity, client=phone)
        assert second.record.is_device_shared
        other = check_in(
            world.a.branch_admin, activity, client=checkin.ClientInfo(device_id="own-phone-1")
        )
    flagged = set(
        AttendanceRecord.objects.filter(is_device_shared=True).values_list("member_id", flat=True)
    )
    assert flagged == {world.a.member.pk, world.a.flowing.pk}
    assert not other.record.is_device_shared


def test_the_check_in_runs_the_same_few_queries_whatever_the_roster_size(
    world, activity, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    def queries_for(user) -> int:
        with at(DURING), CaptureQueriesContext(connection) as captured:
            check_in(user, activity, client=checkin.ClientInfo(device_id="device-of-" + user.phone))
        return len(captured)

    small = queries_for(world.a.member.user)
    for _ in range(40):
        make_member(world.city_admin, world.a.branch, password=None)
    with at(START + timedelta(minutes=1)):
        themedays.freeze_due_rosters()
    big = queries_for(world.a.flowing.user)
    assert big == small
    with django_assert_max_num_queries(7), at(DURING):
        check_in(world.a.branch_admin, activity)


def test_in_rotating_qr_mode_only_the_current_or_the_previous_code_is_accepted(world, activity):
    from dangjian.attendance import codes

    setting = services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=True)

    def with_code(code: str) -> checkin.ClientInfo:
        return checkin.ClientInfo(code=code)

    current = codes.code_at(setting.secret, DURING)
    previous = codes.code_at(setting.secret, DURING - timedelta(seconds=30))
    stale = codes.code_at(setting.secret, DURING - timedelta(seconds=60))
    with at(DURING):
        # The printed poster (no code) and a code from a minute ago no longer work.
        printed = refusal(check_in, world.a.member.user, activity)
        assert (printed.code, printed.details) == ("invalid_token", {"rotating": True})
        old = refusal(check_in, world.a.member.user, activity, client=with_code(stale))
        assert old.code == "invalid_token"
        assert check_in(world.a.member.user, activity, client=with_code(previous)).created
        assert check_in(world.a.flowing.user, activity, client=with_code(current)).created
    services.set_rotating_qr(actor=world.a.branch_admin, activity=activity, enabled=False)
    with at(DURING):
        assert check_in(world.a.branch_admin, activity).created


def test_a_member_who_transfers_a_minute_after_the_start_still_checks_in_before_any_freeze(
    world, activity
):
    # The scheduler has not frozen the roster: it is the branch as it stood at the start.
    with at(START + timedelta(minutes=1)):
        registry.transfer_member(
            actor=world.city_admin, member=world.a.member, to_branch=world.a.other_branch
        )
    with at(START + timedelta(minutes=5)):
        assert check_in(world.a.member.user, activity).record.status == "checked_in"
    activity.refresh_from_db()
    assert activity.roster_frozen_at is not None
    assert activity.roster.filter(member=world.a.member).exists()


def test_a_member_who_transfers_in_a_minute_after_the_start_is_not_on_the_roster(world, activity):
    newcomer = world.b.member
    with at(START + timedelta(minutes=1)):
        registry.transfer_member(actor=world.city_admin, member=newcomer, to_branch=world.a.branch)
    with at(START + timedelta(minutes=5)):
        assert refusal(check_in, newcomer.user, activity).code == "not_on_roster"
