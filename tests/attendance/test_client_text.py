"""A check-in's text from the phone: a NUL in its body is refused at the edge
(core.textguard, 422 `invalid_text`) and the member's next check-in is recorded and logged;
what the request's headers say about the phone is logged without control characters. On
PostgreSQL both answered 500 (NUL in a text or JSON column) and the attempt was not logged."""

from datetime import timedelta

import pytest

from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from tests.attendance.conftest import DURING, at, near

pytestmark = pytest.mark.django_db


def body(activity, **extra) -> dict:
    latitude, longitude = near(20)
    return {
        "token": activity.checkin_token,
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_m": 15,
        **extra,
    }


def test_a_check_in_with_a_nul_in_its_client_time_is_refused_then_the_next_is_logged(
    world, api, activity
):
    client = api(world.a.member.user)
    with at(DURING):
        refused = client.post(
            "/attendance/check-in", body(activity, client_time="2026-12-10T06:00:00\x00")
        )
        recorded = client.post(
            "/attendance/check-in", body(activity, client_time="2026-12-10T06:00:00Z")
        )

    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "invalid_text"
    assert recorded.status_code == 201, recorded.content
    assert AttendanceRecord.objects.count() == 1
    attempt = CheckInAttempt.objects.get()
    assert attempt.client["client_time"] == "2026-12-10T06:00:00+00:00"


def test_a_check_in_from_a_user_agent_with_control_characters_is_recorded_and_logged_clean(
    world, api, activity
):
    with at(DURING + timedelta(minutes=1)):
        response = api(world.a.member.user).post(
            "/attendance/check-in",
            body(activity),
            headers={"User-Agent": "Mozilla/5.0\x00 (iPhone)\x1b"},
        )

    assert response.status_code == 201, response.content
    assert CheckInAttempt.objects.get().user_agent == "Mozilla/5.0 (iPhone)"
