"""The rules of an SMS code as pure functions (registry.activation): send limits, what
refuses a code, the ID number's last six characters."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dangjian.registry.activation import code_refusal, id_last6_matches, send_wait

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("phone_times", "ip_times", "ip_limit", "wait"),
    [
        ([], [], 30, 0),
        ([ago(61)], [], 30, 0),
        ([ago(60)], [], 30, 0),
        ([ago(59)], [], 30, 1),
        ([ago(0.5)], [], 30, 60),
        ([ago(10), ago(3000)], [], 30, 50),
        # ten a day: the eleventh waits until the oldest of the ten is a day old
        ([ago(3600 * h + 100) for h in range(10)], [], 30, 86400 - (9 * 3600 + 100)),
        ([ago(3600 * h + 100) for h in range(9)], [], 30, 0),
        # per address: the limit reached within the hour waits for the oldest to leave it
        ([], [ago(600), ago(1200), ago(1800)], 3, 1800),
        ([], [ago(600), ago(1200)], 3, 0),
        ([ago(30)], [ago(600), ago(1200), ago(1800)], 3, 1800),
    ],
)
def test_it_answers_how_long_a_phone_or_an_address_waits_for_another_code(
    phone_times, ip_times, ip_limit, wait
):
    assert send_wait(now=NOW, phone_times=phone_times, ip_times=ip_times, ip_limit=ip_limit) == wait


@pytest.mark.parametrize(
    ("used", "failed", "expires_at", "refusal"),
    [
        (False, 0, NOW + timedelta(seconds=1), None),
        (False, 4, NOW + timedelta(minutes=4), None),
        (False, 5, NOW + timedelta(minutes=4), "too_many_attempts"),
        (False, 0, NOW, "code_expired"),
        (False, 0, NOW - timedelta(minutes=1), "code_expired"),
        (True, 0, NOW + timedelta(minutes=4), "invalid_code"),
        (True, 5, NOW - timedelta(minutes=1), "invalid_code"),
        (False, 5, NOW - timedelta(minutes=1), "too_many_attempts"),
    ],
)
def test_it_refuses_a_code_used_tried_too_often_or_expired(used, failed, expires_at, refusal):
    assert (
        code_refusal(now=NOW, used=used, failed_attempts=failed, expires_at=expires_at) == refusal
    )


@pytest.mark.parametrize(
    ("given", "matches"),
    [
        ("14141X", True),
        ("14141x", True),
        (" 14141X ", True),
        ("14141Y", False),
        ("4141X", False),
        ("", False),
        ("61070219850314141X", False),
        ("一二三四五六", False),
    ],
)
def test_it_compares_the_last_six_characters_of_the_id_number(given, matches):
    assert id_last6_matches("61070219850314141X", given) is matches
