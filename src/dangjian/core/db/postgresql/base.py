"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS on, Django checks a persistent connection before the first query
of each request by sending `SELECT 1`: on the check-in, a round trip as long as one of its
own three. Here the check asks the socket first. Between requests a connection is idle,
and an idle PostgreSQL connection receives nothing unless the server is ending it (a
restart, `pg_terminate_backend()`, `idle_session_timeout`: the server sends its FATAL
message and closes, which makes the socket readable). So an idle connection with nothing
to read is usable; anything else gets Django's own `SELECT 1`, which decides. A server
host that vanishes without closing its sockets is found by neither check before the
query's own TCP timeout.

Only psycopg's documented connection API is used (`info.status`, `info.transaction_status`,
`fileno()`). `is_usable()` is the hook Django's health check calls; docs/decisions.md says
why it is overridden."""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None:
            return False
        try:
            info = self.connection.info
            idle = (
                info.status == pq.ConnStatus.OK
                and info.transaction_status == pq.TransactionStatus.IDLE
                and not _readable(self.connection.fileno())
            )
        except psycopg.Error:
            idle = False
        return idle or super().is_usable()


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
