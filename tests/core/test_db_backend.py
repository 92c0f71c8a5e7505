"""The PostgreSQL backend's health check (core/db/postgresql): a live connection passes
without a query, one the server has ended fails, and the next request is answered on a new
connection. Run against PostgreSQL; SQLite has no server to end a connection."""

import select

import pytest
from django.db import connection, connections

from tests.conftest import COMMITTED

pytestmark = COMMITTED


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the health check is PostgreSQL's (DATABASE_URL=postgres://...)")
    yield
    # A test may leave it ended by the server: the flush after the test needs a new one.
    connection.close()


def _end_from_elsewhere(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    # The server's FATAL message and close reach the socket: wait for them, not a guess.
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    assert poller.poll(5000), "the ended connection never became readable"


def _backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def test_a_live_idle_connection_is_usable_without_sending_a_query(monkeypatch):
    _backend_pid()

    def no_query(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(connection.connection, "cursor", no_query)
    monkeypatch.setattr(connection.connection, "execute", no_query)
    assert connection.is_usable() is True


def test_a_connection_the_server_ended_is_not_usable():
    _end_from_elsewhere(_backend_pid())
    assert connection.is_usable() is False


def test_a_connection_inside_a_transaction_is_checked_with_a_query(monkeypatch):
    _backend_pid()
    connection.connection.execute("BEGIN")
    try:
        assert connection.connection.info.transaction_status.name == "INTRANS"
        sent = []
        real = connection.connection.cursor
        monkeypatch.setattr(
            connection.connection, "cursor", lambda *a, **kw: sent.append(1) or real(*a, **kw)
        )
        assert connection.is_usable() is True
        monkeypatch.undo()
        assert sent == [1]
    finally:
        connection.connection.execute("ROLLBACK")


def test_the_first_request_after_the_server_ended_the_connection_is_answered(client):
    old_pid = _backend_pid()
    _end_from_elsewhere(old_pid)
    # What Django does when a request starts (close_if_unusable_or_obsolete): the test
    # client skips it, so mark the connection as due for its check by hand.
    connection.health_check_done = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert connection.connection.info.backend_pid != old_pid
