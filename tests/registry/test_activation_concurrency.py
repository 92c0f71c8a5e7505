"""A code works once and a phone gets one code a minute even when requests arrive at the
same instant. Real concurrency needs real connections and row locks: PostgreSQL only
(SQLite serializes every write transaction); tests/api/test_activation_api.py checks the
same rules one request at a time on either database."""

import threading

import pytest
from django.db import connection, connections

from dangjian.core.errors import DomainError
from dangjian.notifications.models import SmsCode, SmsMessage
from dangjian.registry import activation
from tests.conftest import COMMITTED

pytestmark = COMMITTED
THREADS = 6


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def in_parallel(call) -> tuple[list, list, list]:
    barrier = threading.Barrier(THREADS)
    done, refused, errors = [], [], []

    def worker(n):
        try:
            barrier.wait()
            done.append(call(n))
        except DomainError as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return done, refused, errors


def test_parallel_requests_for_one_phone_send_one_code(world, settings):
    settings.SMS_DEMO_OUTBOX = True
    phone = world.a.member.user.phone
    done, refused, errors = in_parallel(
        lambda n: activation.send_code(phone=phone, purpose="reset", client_ip=f"10.5.0.{n}")
    )
    assert errors == []
    assert (len(done), refused) == (1, ["too_many_requests"] * (THREADS - 1))
    assert SmsCode.objects.filter(phone=phone).count() == 1
    assert SmsMessage.objects.filter(phone=phone).count() == 1


def test_a_code_used_by_parallel_requests_works_once(world, settings):
    settings.SMS_DEMO_OUTBOX = True
    phone = world.a.member.user.phone
    activation.send_code(phone=phone, purpose="reset", client_ip="10.6.0.1")
    code = SmsMessage.objects.get(phone=phone).params["code"]
    done, refused, errors = in_parallel(
        lambda n: activation.reset_password(phone=phone, code=code, password=f"Hanzhong-{n}-ok")
    )
    assert errors == []
    assert (len(done), refused) == (1, ["invalid_code"] * (THREADS - 1))
