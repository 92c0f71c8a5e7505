"""Heavy reads from a read replica (settings.DATABASE_REPLICA_URL, docs/operations.md).

What goes to the replica is chosen where the reads are, not guessed from the model: a
selector or builder that reads a lot and can bear a few seconds of lag (rankings,
dashboards, exports, reports) runs inside `reading_from_replica()`, a decorator or context
manager that sets a context variable; `ReplicaRouter` (DATABASE_ROUTERS) sends the reads
made inside it to the `replica` alias and everything else, every write included, to
`default`. Inside a transaction on `default` the reads stay there, so that a service that
reads a ranking and writes from it sees one database.

The replica is left for the primary while:
- the user of the request wrote lately (read-your-writes): a request that writes through
  the ORM marks its user in the cache (shared by every worker and node) for
  REPLICA_READ_YOUR_WRITES_SECONDS, and that user's heavy reads take the primary until
  the mark expires. A mark by time rather than by WAL position costs one cache write per
  writing request and one cache read per heavy read, and no query on the primary; it holds
  as long as the window outlasts the lag the replica is allowed (REPLICA_MAX_LAG_SECONDS
  plus REPLICA_CHECK_SECONDS, the longest a lag goes unseen). A background job passes the
  user it works for (`reading_from_replica(user_id=...)`);
- the replica cannot be reached, or lags more than REPLICA_MAX_LAG_SECONDS. Each process
  asks the replica at most every REPLICA_CHECK_SECONDS and keeps the answer; the change
  either way is logged once. A decorated read that fails on the replica halfway (it went
  down since the last check) marks it down and runs again on the primary.

Without DATABASE_REPLICA_URL none of this is installed (settings.py)."""

import contextlib
import functools
import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# The replica's lag in seconds: none when it has replayed everything it received (an idle
# primary sends nothing, and the time since the last replayed transaction would grow
# without any lag), else the age of the last transaction it replayed; 0 when it is not in
# recovery at all (a promoted standby is a primary, never behind).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


@dataclass
class _Block:
    """One reading_from_replica() in force: whose writes it must see, and whether the
    replica answered any of its reads."""

    user_id: int | None = None
    used: bool = False


@dataclass
class _RequestState:
    request: object
    wrote: bool = False
    wrote_lately: bool | None = None


_block: ContextVar[_Block | None] = ContextVar("replica_block", default=None)
_request: ContextVar[_RequestState | None] = ContextVar("replica_request", default=None)
# Set while the request's user is loaded from the session: those reads take the primary.
_resolving: ContextVar[bool] = ContextVar("replica_resolving", default=False)


def configured() -> bool:
    return settings.REPLICA_DB_ALIAS in settings.DATABASES


class reading_from_replica:  # noqa: N801 - used as a decorator and a context manager
    """Reads inside may come from the replica. As a decorator, a read that fails on the
    replica is run again on the primary; as a context manager the failure is raised (and
    the replica marked down for the next reads). `user_id`: the user whose writes the
    reads must see, where there is no request (a background job)."""

    def __init__(self, *, user_id: int | None = None):
        self.user_id = user_id
        self._tokens = []

    def _new_block(self) -> _Block:
        outer = _block.get()
        return _Block(user_id=self.user_id or (outer.user_id if outer else None))

    def __enter__(self):
        self._tokens.append(_block.set(self._new_block()))
        return self

    def __exit__(self, exc_type, exc, tb):
        block = _block.get()
        _block.reset(self._tokens.pop())
        failed = exc_type is not None and issubclass(exc_type, OperationalError | InterfaceError)
        if failed and block is not None and block.used:
            mark_down(f"a read failed: {exc}")
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            block = self._new_block()
            token = _block.set(block)
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if not block.used:
                    raise
                mark_down(f"a read failed: {exc}")
            finally:
                _block.reset(token)
            # Heavy reads write nothing: the same read again, now on the primary.
            return func(*args, **kwargs)

        return wrapper


class ReplicaRouter:
    """Django's database router (DATABASE_ROUTERS): the replica for reads inside
    reading_from_replica() when it may answer them, `default` for everything else."""

    def db_for_read(self, model, **hints):
        block = _block.get()
        if block is None or _resolving.get() or not _may_read_replica(block):
            return DEFAULT_DB_ALIAS
        block.used = True
        return settings.REPLICA_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Named, not None: Django would otherwise write an object back to the database it
        # was read from, the replica.
        state = _request.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database behind every alias: an object read from the replica may be linked
        # to one read from the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == settings.REPLICA_DB_ALIAS else None


def _may_read_replica(block: _Block) -> bool:
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    if _user_wrote_lately(block):
        return False
    return replica_usable()


class ReplicaMiddleware:
    """Read-your-writes for requests: a request that writes reads from the primary from
    then on, and marks its user for REPLICA_READ_YOUR_WRITES_SECONDS (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _RequestState(request)
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote:
            user_id = _user_id(request)
            if user_id is not None:
                remember_write(user_id)
        return response


def _mark_key(user_id: int) -> str:
    return f"replica:wrote:{user_id}"


def remember_write(user_id: int) -> None:
    """`user_id` has just written: their heavy reads take the primary for a while."""
    try:
        cache.set(_mark_key(user_id), 1, timeout=settings.REPLICA_READ_YOUR_WRITES_SECONDS)
    except Exception:  # noqa: BLE001 - the cache (Redis) down must not fail the write
        logger.warning("cache unavailable: a write is not remembered for the replica")


def _wrote_lately(user_id: int) -> bool:
    try:
        return cache.get(_mark_key(user_id)) is not None
    except Exception:  # noqa: BLE001 - unknown: the primary is always right
        return True


def _user_id(request) -> int | None:
    token = _resolving.set(True)
    try:
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
    finally:
        _resolving.reset(token)


def _user_wrote_lately(block: _Block) -> bool:
    state = _request.get()
    if state is not None:
        if state.wrote:
            return True
        if state.wrote_lately is None:
            user_id = _user_id(state.request)
            state.wrote_lately = user_id is not None and _wrote_lately(user_id)
        if state.wrote_lately:
            return True
    return block.user_id is not None and _wrote_lately(block.user_id)


class _Health:
    """This process's last answer about the replica, and until when it holds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.usable: bool | None = None
        self.until = 0.0

    def settle(self, usable: bool, why: str = "") -> None:
        if usable and self.usable is False:
            logger.info("read replica in use again")
        elif not usable and self.usable is not False:
            logger.warning("read replica not used, reads go to the primary: %s", why)
        self.usable = usable
        self.until = time.monotonic() + settings.REPLICA_CHECK_SECONDS


_health = _Health()


def replica_usable() -> bool:
    """Whether the replica answers and lags no more than REPLICA_MAX_LAG_SECONDS, asked at
    most every REPLICA_CHECK_SECONDS per process."""
    if time.monotonic() < _health.until:
        return bool(_health.usable)
    with _health.lock:
        if time.monotonic() >= _health.until:
            _health.settle(*_check())
    return bool(_health.usable)


def _check() -> tuple[bool, str]:
    replica = connections[settings.REPLICA_DB_ALIAS]
    try:
        with replica.cursor() as cursor:
            if replica.vendor == "postgresql":
                cursor.execute(LAG_SQL)
                lag = float(cursor.fetchone()[0])
            else:
                lag = 0.0
    except DatabaseError as exc:
        _close(replica)
        return False, f"unreachable: {exc}"
    allowed = settings.REPLICA_MAX_LAG_SECONDS
    if lag > allowed:
        return False, f"{lag:.1f} s behind, more than REPLICA_MAX_LAG_SECONDS={allowed}"
    return True, ""


def mark_down(why: str) -> None:
    """The replica failed a read: the primary until the next check."""
    _close(connections[settings.REPLICA_DB_ALIAS])
    with _health.lock:
        _health.settle(False, why)


def _close(replica) -> None:
    # Closing a connection whose server is gone may raise in turn; it is dropped either way.
    with contextlib.suppress(DatabaseError):
        replica.close()
