import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.themedays import services as themedays
from tests.attendance.conftest import (
    AFTER_END,
    CHECKIN_CLOSES,
    CHECKIN_OPENS,
    DURING,
    END,
    NOW,
    SECOND,
    START,
    approve,
    at,
    make_campaign,
    near,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    # The tests travel days ahead; API tokens issued "before" must still work.
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def activity(world, clock):
    """County a's branch's approved theme day (tests/attendance/conftest.py)."""
    campaign = make_campaign(world)
    return approve(world, world.a.branch, world.a.branch_admin, world.a.admin, campaign)


def body(activity, metres=20, accuracy=15, **extra):
    lat, lon = near(metres)
    data = {
        "token": activity.checkin_token,
        "latitude": lat,
        "longitude": lon,
        "accuracy_m": accuracy,
    }
    data.update(extra)
    return data


def test_check_in_answers_201_then_200_with_the_same_record(world, api, activity):
    client = api(world.a.member.user)
    with at(DURING):
        first = client.post(
            "/attendance/check-in",
            body(activity, device_id="phone-abcdef12", client_time="2026-12-10T06:00:00Z"),
            headers={"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"},
        )
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "checked_in"
    assert parse_datetime(first.json()["checked_in_at"]) == DURING
    with at(DURING + timedelta(minutes=2)):
        again = client.post("/attendance/check-in", body(activity, metres=200))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert AttendanceRecord.objects.count() == 1
    attempt = CheckInAttempt.objects.order_by("at").first()
    assert attempt.user_agent.startswith("Mozilla/5.0 (iPhone)")
    assert attempt.ip == "127.0.0.1"
    assert attempt.device_id == "phone-abcdef12"
    assert attempt.client["client_time"] == "2026-12-10T06:00:00+00:00"


@pytest.mark.parametrize(
    ("when", "metres", "accuracy", "status", "code", "details"),
    [
        (CHECKIN_OPENS - SECOND, 20, 15, 409, "too_early", {"opens_at"}),
        (CHECKIN_CLOSES + SECOND, 20, 15, 409, "too_late", {"closed_at"}),
        (DURING, 301, 15, 422, "out_of_range", {"distance_m", "radius_m"}),
        (DURING, 20, 301, 422, "imprecise_location", {"accuracy_m", "radius_m"}),
    ],
)
def test_check_in_refusals_carry_a_stable_code_and_details(
    world, api, activity, when, metres, accuracy, status, code, details
):
    with at(when):
        resp = api(world.a.member.user).post(
            "/attendance/check-in", body(activity, metres, accuracy)
        )
    assert resp.status_code == status
    data = resp.json()
    assert data["code"] == code
    assert details <= set(data)
    assert data["message"]


def test_out_of_range_answers_the_distance_in_chinese(world, api, activity):
    with at(DURING):
        resp = api(world.a.member.user).post("/attendance/check-in", body(activity, 1200))
    assert resp.json()["distance_m"] == 1200
    assert resp.json()["message"].startswith("你距离活动地点 1.2 公里，签到范围为 300 米")


def test_members_off_the_roster_and_unknown_tokens_are_refused(world, api, activity):
    with at(DURING):
        other = api(world.b.member.user).post("/attendance/check-in", body(activity))
        outsider = api(world.outsider).post("/attendance/check-in", body(activity))
        made_up = api(world.a.member.user).post(
            "/attendance/check-in", body(activity, token="z" * 32)
        )
        anonymous = api(None).post("/attendance/check-in", body(activity))
    assert (other.status_code, other.json()["code"]) == (403, "not_on_roster")
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_on_roster")
    assert (made_up.status_code, made_up.json()["code"]) == (404, "invalid_token")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")


def test_a_bad_api_key_is_unauthenticated_at_check_in_and_check_out_and_logs_nothing(
    world, api, activity
):
    from dangjian.registry.models import ApiToken

    member = world.a.member.user
    expired = api(member)
    ApiToken.objects.filter(user=member).update(expires_at=NOW - SECOND)
    made_up = api(None)
    made_up.headers_ = {"Authorization": "Bearer not-a-key-anyone-holds"}
    with at(DURING):
        answers = [
            expired.post("/attendance/check-in", body(activity)),
            made_up.post("/attendance/check-in", body(activity)),
            # With a QR token that cannot be one (no activity to read): looked up alone.
            made_up.post("/attendance/check-in", body(activity, token="bad token!")),
            # A body the schema refuses: still only "unauthenticated".
            made_up.post("/attendance/check-in", {"token": activity.checkin_token}),
            made_up.post("/attendance/check-out", body(activity, reflection="心得")),
        ]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [(401, "unauthenticated")] * len(
        answers
    )
    assert not CheckInAttempt.objects.exists()
    assert not AttendanceRecord.objects.exists()


def test_a_revoked_key_or_a_deactivated_account_is_refused_at_check_in_and_check_out(
    world, api, activity
):
    # The check-in reads the key's holder in its own statement (attendance.checkin): a key
    # taken back a moment ago, or its account switched off, is refused there as any other
    # endpoint refuses it, and leaves no trace.
    from dangjian.registry import accounts
    from dangjian.registry.models import User

    member, flowing, other = world.a.member.user, world.a.flowing.user, world.b.member.user
    revoked, signed_out, deactivated = api(member), api(flowing), api(other)
    with at(DURING):
        assert revoked.get("/auth/tokens").status_code == 200
        accounts.revoke_token_key(user=member, key=revoked.headers_["Authorization"][7:])
        accounts.revoke_all_credentials(user=flowing, reason="sign_out_everywhere")
        User.objects.filter(pk=other.pk).update(is_active=False)
        answers = [
            client.post(path, body(activity, reflection="心得"))
            for client in (revoked, signed_out, deactivated)
            for path in ("/attendance/check-in", "/attendance/check-out")
        ]
        # The key is checked before the position: an unknown coordinate system with a key
        # that holds no more is still "unauthenticated".
        answers.append(revoked.post("/attendance/check-in", body(activity, coord_system="xyz")))
    assert [(r.status_code, r.json()) for r in answers] == [
        (401, {"code": "unauthenticated", "message": "请先登录"})
    ] * len(answers)
    assert not CheckInAttempt.objects.exists()
    assert not AttendanceRecord.objects.exists()


def test_an_outsiders_key_is_its_holders_and_is_logged_without_a_member(world, api, activity):
    with at(DURING):
        answer = api(world.outsider).post("/attendance/check-in", body(activity))
    assert (answer.status_code, answer.json()["code"]) == (403, "not_on_roster")
    assert list(CheckInAttempt.objects.values_list("code", "user_id", "member_id")) == [
        ("not_on_roster", world.outsider.pk, None)
    ]


def test_a_key_that_holds_with_an_unknown_coordinate_system_is_refused_as_such(
    world, api, activity
):
    with at(DURING):
        answer = api(world.a.member.user).post(
            "/attendance/check-in", body(activity, coord_system="xyz")
        )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_coord_system")
    assert not CheckInAttempt.objects.exists()


def test_a_valid_key_with_an_unknown_or_malformed_qr_token_is_logged_as_its_member(
    world, api, activity
):
    client = api(world.a.member.user)
    with at(DURING):
        unknown = client.post("/attendance/check-in", body(activity, token="z" * 32))
        malformed = client.post("/attendance/check-in", body(activity, token="bad token!"))
        schema = client.post("/attendance/check-in", {"token": activity.checkin_token})
    assert [(r.status_code, r.json()["code"]) for r in (unknown, malformed, schema)] == [
        (404, "invalid_token"),
        (404, "invalid_token"),
        (422, "validation_error"),
    ]
    assert (
        list(CheckInAttempt.objects.values_list("code", "user_id", "member_id"))
        == [("invalid_token", world.a.member.user.pk, world.a.member.pk)] * 2
    )


def test_an_old_token_after_regeneration_is_invalid(world, api, activity):
    old = body(activity)
    resp = api(world.a.branch_admin).post(f"/activities/{activity.pk}/checkin-token")
    assert resp.status_code == 200
    with at(DURING):
        stale = api(world.a.member.user).post("/attendance/check-in", old)
    assert (stale.status_code, stale.json()["code"]) == (404, "invalid_token")


def test_a_cancelled_activity_answers_cancelled(world, api, activity):
    themedays.cancel_activity(actor=world.a.branch_admin, activity=activity, reason="暴雨")
    with at(DURING):
        resp = api(world.a.member.user).post("/attendance/check-in", body(activity))
    assert (resp.status_code, resp.json()["code"]) == (409, "cancelled")


def test_a_plan_back_in_review_answers_not_approved(world, api, activity):
    themedays.update_activity(actor=world.a.branch_admin, activity=activity, title="新的标题")
    with at(DURING):
        resp = api(world.a.member.user).post("/attendance/check-in", body(activity))
    assert (resp.status_code, resp.json()["code"]) == (409, "not_approved")


@pytest.mark.parametrize(
    "change",
    [
        {"latitude": 91},
        {"latitude": -90.5},
        {"longitude": 180.01},
        {"latitude": "abc"},
        {"latitude": "33.06"},
        {"latitude": None},
        {"longitude": [107]},
        {"accuracy_m": -5},
        {"accuracy_m": "good"},
        {"latitude": True},
    ],
)
def test_invalid_coordinates_are_422_validation_error(world, api, activity, change):
    data = body(activity)
    data.update(change)
    with at(DURING):
        resp = api(world.a.member.user).post("/attendance/check-in", data)
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert not CheckInAttempt.objects.exists()


@pytest.mark.parametrize("missing", ["latitude", "longitude", "accuracy_m", "token"])
def test_missing_fields_are_422_validation_error(world, api, activity, missing):
    data = body(activity)
    del data[missing]
    with at(DURING):
        resp = api(world.a.member.user).post("/attendance/check-in", data)
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")


def test_non_finite_coordinates_are_422_validation_error(world, api, activity):
    raw = json.dumps(body(activity) | {"latitude": float("nan")})
    assert "NaN" in raw
    with at(DURING):
        resp = api(world.a.member.user).post(
            "/attendance/check-in", raw, content_type="application/json"
        )
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")


def test_the_check_in_endpoint_runs_a_small_fixed_number_of_queries(
    world, api, activity, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    def queries(user) -> int:
        client = api(user)
        with at(DURING), CaptureQueriesContext(connection) as captured:
            assert client.post("/attendance/check-in", body(activity)).status_code == 201
        return len(captured)

    small = queries(world.a.member.user)
    extra = [make_member(world.city_admin, world.a.branch, password=None) for _ in range(30)]
    with at(START + SECOND):
        themedays.freeze_due_rosters()
    assert queries(world.a.flowing.user) == small
    assert queries(extra[-1].user) == small
    # The token's holder with the activity, its roster and record (one statement), the
    # record and the attempt (one statement on PostgreSQL), and the test's savepoints.
    client = api(extra[0].user)
    with django_assert_max_num_queries(7), at(DURING):
        client.post("/attendance/check-in", body(activity))


# Check-out -------------------------------------------------------------------------------


@pytest.fixture
def checked_in(world, api, activity):
    with at(DURING):
        api(world.a.member.user).post("/attendance/check-in", body(activity))
    return activity


def test_check_out_answers_201_then_200_with_the_same_record(world, api, checked_in):
    client = api(world.a.member.user)
    with at(AFTER_END):
        resp = client.post("/attendance/check-out", body(checked_in, reflection="收获很大"))
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "checked_out"
    assert parse_datetime(resp.json()["checked_out_at"]) == AFTER_END
    with at(AFTER_END + timedelta(minutes=1)):
        again = client.post("/attendance/check-out", body(checked_in, reflection="再来一次"))
    assert again.status_code == 200
    assert again.json() == resp.json()


def test_check_out_refusals(world, api, checked_in):
    member, flowing = api(world.a.member.user), api(world.a.flowing.user)
    with at(END - SECOND):
        early = member.post("/attendance/check-out", body(checked_in, reflection="x"))
    with at(AFTER_END):
        no_reflection = member.post("/attendance/check-out", body(checked_in))
        not_in = flowing.post("/attendance/check-out", body(checked_in, reflection="x"))
    assert (early.status_code, early.json()["code"]) == (409, "too_early")
    assert (no_reflection.status_code, no_reflection.json()["code"]) == (
        422,
        "reflection_required",
    )
    assert (not_in.status_code, not_in.json()["code"]) == (409, "not_checked_in")


# The roster with statuses ----------------------------------------------------------------


def test_the_attendance_list_shows_the_roster_with_statuses_for_admins_only(world, api, checked_in):
    resp = api(world.a.branch_admin).get(f"/activities/{checked_in.pk}/attendance")
    assert resp.status_code == 200
    data = resp.json()
    assert data["count"] == 3
    rows = {r["name"]: r for r in data["items"]}
    assert rows[world.a.member.name]["status"] == "checked_in"
    assert rows[world.a.flowing.name] == {
        "member_id": world.a.flowing.pk,
        "name": world.a.flowing.name,
        "flowing": True,
        "status": "pending",
        "checked_in_at": None,
        "checked_out_at": None,
        "corrected": False,
        "device_shared": False,
    }
    filtered = api(world.a.admin).get(f"/activities/{checked_in.pk}/attendance?status=pending")
    assert filtered.json()["count"] == 2
    assert api(world.a.member.user).get(f"/activities/{checked_in.pk}/attendance").status_code == (
        403
    )
    for user in (world.b.admin, world.b.member.user, world.outsider):
        assert api(user).get(f"/activities/{checked_in.pk}/attendance").status_code == 404


# QR code and poster ----------------------------------------------------------------------


def test_the_qr_png_and_the_poster_pdf_are_for_the_branchs_admins(world, api, activity):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    png = api(world.a.branch_admin).get(f"/activities/{activity.pk}/qr.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    url = f"http://127.0.0.1:8000/m/checkin/{activity.checkin_token}/"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [url]
    pdf = api(world.a.admin).get(f"/activities/{activity.pk}/poster.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"] == f'attachment; filename="poster-{activity.pk}.pdf"'
    assert pdf["Cache-Control"] == "private, no-store"
    for path in ("qr.png", "poster.pdf"):
        assert api(world.a.member.user).get(f"/activities/{activity.pk}/{path}").status_code == 403
        for user in (world.b.admin, world.outsider):
            assert api(user).get(f"/activities/{activity.pk}/{path}").status_code == 404


def test_a_plan_not_approved_has_no_qr_code(world, api, activity):
    themedays.update_activity(actor=world.a.branch_admin, activity=activity, title="新的标题")
    resp = api(world.a.branch_admin).get(f"/activities/{activity.pk}/qr.png")
    assert (resp.status_code, resp.json()["code"]) == (409, "not_approved")


# Leave -----------------------------------------------------------------------------------


def test_leave_is_asked_by_the_member_and_approved_by_the_branch(world, api, activity):
    asked = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": "出差"})
    assert asked.status_code == 201, asked.content
    leave_id = asked.json()["id"]
    assert asked.json()["status"] == "pending"
    again = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": "出差"})
    assert (again.status_code, again.json()["code"]) == (409, "leave_exists")
    assert api(world.a.member.user).post(f"/leaves/{leave_id}/approve").status_code == 403
    for user in (world.b.admin, world.outsider, world.a.flowing.user):
        assert api(user).post(f"/leaves/{leave_id}/approve").status_code == 404
    approved = api(world.a.branch_admin).post(f"/leaves/{leave_id}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    rows = api(world.a.branch_admin).get(f"/activities/{activity.pk}/attendance").json()
    assert {r["name"]: r["status"] for r in rows["items"]}[world.a.member.name] == "on_leave"
    twice = api(world.a.branch_admin).post(f"/leaves/{leave_id}/approve")
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_status")


def test_leave_can_be_refused_with_or_without_a_note(world, api, activity):
    first = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": "有事"})
    refused = api(world.a.branch_admin).post(
        f"/leaves/{first.json()['id']}/refuse", {"reason": "重要学习，请参加"}
    )
    assert refused.status_code == 200, refused.content
    assert refused.json()["decision_note"] == "重要学习，请参加"
    second = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": "生病"})
    bare = api(world.a.branch_admin).post(f"/leaves/{second.json()['id']}/refuse")
    assert (bare.status_code, bare.json()["status"]) == (200, "refused")


def test_leave_after_the_start_and_from_outside_the_branch_is_refused(world, api, activity):
    with at(START):
        late = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": "x"})
    assert (late.status_code, late.json()["code"]) == (409, "start_passed")
    for user in (world.b.member.user, world.outsider):
        resp = api(user).post(f"/activities/{activity.pk}/leave", {"reason": "x"})
        assert resp.status_code == 404
    empty = api(world.a.member.user).post(f"/activities/{activity.pk}/leave", {"reason": ""})
    assert (empty.status_code, empty.json()["code"]) == (422, "validation_error")


def test_a_branch_secretary_cannot_approve_their_own_leave(world, api, activity):
    secretary = world.a.branch_admin  # a member of the branch, on the roster
    asked = api(secretary).post(f"/activities/{activity.pk}/leave", {"reason": "到县里开会"})
    assert asked.status_code == 201, asked.content
    leave_id = asked.json()["id"]
    own = api(secretary).post(f"/leaves/{leave_id}/approve")
    assert (own.status_code, own.json()["code"]) == (403, "self_approval")
    assert own.json()["message"]
    rows = api(world.a.admin).get(f"/activities/{activity.pk}/attendance").json()["items"]
    assert {r["name"]: r["status"] for r in rows}[secretary.name] == "pending"
    approved = api(world.a.admin).post(f"/leaves/{leave_id}/approve")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")


# Corrections -------------------------------------------------------------------------------


def test_a_member_who_could_not_scan_is_corrected_to_checked_in_over_the_api(world, api, activity):
    member = world.a.member
    with at(START + timedelta(minutes=10)):
        proposed = api(world.a.branch_admin).post(
            f"/activities/{activity.pk}/corrections",
            {"member_id": member.pk, "to_status": "checked_in", "reason": "手机无法扫码"},
        )
        assert proposed.status_code == 201, proposed.content
        correction = proposed.json()
        assert (correction["from_status"], correction["to_status"], correction["status"]) == (
            "pending",
            "checked_in",
            "pending",
        )
        path = f"/corrections/{correction['id']}/approve"
        # The branch's own admin may not decide it; outside the scope it does not exist.
        own = api(world.a.branch_admin).post(path)
        assert (own.status_code, own.json()["code"]) == (403, "forbidden")
        for user in (world.b.admin, world.b.member.user, world.outsider, world.a.member.user):
            assert api(user).post(path).status_code == 404, user
        approved = api(world.a.admin).post(path)
        assert approved.status_code == 200, approved.content
        assert approved.json()["status"] == "approved"
        rows = api(world.a.branch_admin).get(f"/activities/{activity.pk}/attendance").json()
    row = {r["member_id"]: r for r in rows["items"]}[member.pk]
    assert (row["status"], row["corrected"], row["checked_in_at"]) == ("checked_in", True, None)
    record = AttendanceRecord.objects.get(activity=activity, member=member)
    assert record.correction_id == correction["id"]
    # Scanning afterwards changes nothing: the superior's decision stands.
    with at(START + timedelta(minutes=12)):
        again = api(member.user).post("/attendance/check-in", body(activity))
    assert (again.status_code, again.json()["status"]) == (200, "checked_in")
    assert again.json()["checked_in_at"] is None


def test_corrections_are_proposed_listed_and_refused_over_the_api(world, api, activity):
    with at(START + timedelta(minutes=10)):
        base = f"/activities/{activity.pk}/corrections"
        empty = api(world.a.branch_admin).post(
            base, {"member_id": world.a.member.pk, "to_status": "checked_in", "reason": " "}
        )
        assert (empty.status_code, empty.json()["code"]) == (422, "reason_required")
        stranger = api(world.a.branch_admin).post(
            base, {"member_id": world.b.member.pk, "to_status": "checked_in", "reason": "x"}
        )
        assert (stranger.status_code, stranger.json()["code"]) == (403, "not_on_roster")
        for user in (world.b.admin, world.outsider):
            resp = api(user).post(
                base, {"member_id": world.a.member.pk, "to_status": "absent", "reason": "x"}
            )
            assert resp.status_code == 404
        assert api(world.a.member.user).get(base).status_code == 403
        proposed = api(world.a.branch_admin).post(
            base, {"member_id": world.a.member.pk, "to_status": "checked_in", "reason": "没电"}
        )
        assert proposed.status_code == 201
        listed = api(world.a.admin).get(base).json()
        assert [c["id"] for c in listed] == [proposed.json()["id"]]
        bare = api(world.a.admin).post(f"/corrections/{proposed.json()['id']}/refuse")
        assert (bare.status_code, bare.json()["code"]) == (422, "reason_required")
        refused = api(world.a.admin).post(
            f"/corrections/{proposed.json()['id']}/refuse", {"reason": "无旁证"}
        )
        assert refused.status_code == 200
        assert (refused.json()["status"], refused.json()["decision_note"]) == ("refused", "无旁证")
    assert not AttendanceRecord.objects.filter(activity=activity).exists()
