"""The read replica (core.replica) against a real one: a throwaway primary and its streaming
standby made with pg_basebackup by scripts/replica_pair.sh (ports 5440 and 5441), holding the
suite's schema, served by the application in a process of its own (tests/core/replica_probe.py,
DATABASE_URL on the primary, DATABASE_REPLICA_URL on the standby).

What each read saw is told by a row written on the primary while the standby's replay is
paused (`pg_wal_replay_pause()`): the primary has it, the replica not yet. The tests run in
order and share the pair; each leaves the standby running and caught up."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "replica_pair.sh"
PROBE = Path(__file__).with_name("replica_probe.py")
PRIMARY_PORT, STANDBY_PORT = 5440, 5441
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
CHECK_SECONDS, READ_YOUR_WRITES_SECONDS = 1, 2
FALLBACK_LOGGED, RETURN_LOGGED = "read replica not used", "read replica in use again"
ORG_NAMED = "SELECT count(*) FROM registry_organization WHERE name = %s"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a streaming replica is PostgreSQL's: the replica is tested on PostgreSQL "
        "(DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(
        PG_BIN is None or not (PG_BIN / "pg_basebackup").exists(),
        reason="PostgreSQL's server binaries (initdb, pg_basebackup) are not installed",
    ),
    # The suite's test database is made for the modules that ask for one: the pair copies
    # its schema.
    pytest.mark.django_db,
]


def _dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=dangjian"


def _sql(port: int, statement: str, params=()):
    with psycopg.connect(_dsn(port), autocommit=True, connect_timeout=3) as db:
        return db.execute(statement, params).fetchone()


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _standby_up() -> bool:
    try:
        return _sql(STANDBY_PORT, "SELECT pg_is_in_recovery()")[0]
    except psycopg.OperationalError:
        return False


def _caught_up() -> None:
    """Until the standby has replayed everything the primary has written so far."""
    (written,) = _sql(PRIMARY_PORT, "SELECT pg_current_wal_lsn()")
    _wait(
        lambda: _sql(STANDBY_PORT, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])[0],
        20,
        "the standby to catch up",
    )


class Pair:
    def __init__(self, folder: Path, probe: subprocess.Popen, log: Path):
        self.folder, self.probe, self.log = folder, probe, log

    def ask(self, do: str, **args) -> dict:
        self.probe.stdin.write(json.dumps({"do": do, **args}) + "\n")
        self.probe.stdin.flush()
        line = self.probe.stdout.readline()
        assert line, f"the probe ended: {self.log.read_text()[-2000:]}"
        answer = json.loads(line)
        assert "error" not in answer, answer["error"]
        return answer

    def ranked(self) -> list[str]:
        answer = self.ask("ranking")
        assert answer["status"] == 200, answer
        return answer["names"]

    def standby(self, command: str) -> None:
        subprocess.run([SCRIPT, command, self.folder], check=True, timeout=60)

    def logged(self, message: str) -> int:
        return self.log.read_text().count(message)


def _suite_database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{quote(db['USER'] or '')}{password}@{host}:{port}/{db['NAME']}"


def _probe_environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PYTEST_CURRENT_TEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/dangjian",
        DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{STANDBY_PORT}/dangjian",
        REPLICA_CHECK_SECONDS=str(CHECK_SECONDS),
        REPLICA_READ_YOUR_WRITES_SECONDS=str(READ_YOUR_WRITES_SECONDS),
        # Lag tolerated unless a test lowers it: a paused replay must not send reads away.
        REPLICA_MAX_LAG_SECONDS="3600",
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        ID_NUMBER_HASH_KEY=settings.ID_NUMBER_HASH_KEY,
        LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture(scope="module")
def pair(django_db_setup):
    folder = Path(tempfile.mkdtemp(prefix="replica_pair_"))
    log = Path(tempfile.mkstemp(prefix="replica_probe_", suffix=".log")[1])
    probe = None
    try:
        subprocess.run(
            [SCRIPT, "start", folder, str(PRIMARY_PORT), str(STANDBY_PORT)],
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        # The suite's test database, migrated, copied onto the primary: the standby gets it
        # by replication.
        subprocess.run(
            [
                PG_BIN / "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(PRIMARY_PORT),
                "-U",
                "postgres",
                "dangjian",
            ],
            check=True,
            timeout=30,
        )
        dump = subprocess.run(
            [PG_BIN / "pg_dump", "--no-owner", _suite_database_url()],
            check=True,
            timeout=120,
            capture_output=True,
        )
        subprocess.run(
            [PG_BIN / "psql", "-q", "-v", "ON_ERROR_STOP=1", _dsn(PRIMARY_PORT)],
            input=dump.stdout,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        _caught_up()
        with log.open("w") as errors:
            probe = subprocess.Popen(
                [sys.executable, PROBE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=_probe_environment(),
                cwd=ROOT,
            )
        found = Pair(folder, probe, log)
        found.ask("setup")
        _caught_up()
        yield found
    finally:
        if probe is not None:
            probe.stdin.close()
            probe.wait(30)
        subprocess.run([SCRIPT, "stop", folder], timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
        log.unlink(missing_ok=True)


def test_heavy_reads_come_from_the_replica_and_writes_go_to_the_primary(pair):
    assert pair.ask("where") == {"alias": "replica", "in_recovery": True}
    _sql(STANDBY_PORT, "SELECT pg_wal_replay_pause()")
    try:
        # A write outside any request (as another user's, or a job's): on the primary,
        # since the replica, read-only, would have refused it.
        pair.ask("create_branch", name="主库新建支部", via="direct")
        assert pair.ask("on_primary", name="主库新建支部") == {"found": True}
        assert _sql(STANDBY_PORT, ORG_NAMED, ["主库新建支部"]) == (0,)
        assert "主库新建支部" not in pair.ranked()
    finally:
        _sql(STANDBY_PORT, "SELECT pg_wal_replay_resume()")
    _caught_up()
    assert "主库新建支部" in pair.ranked()


def test_a_user_who_just_wrote_reads_from_the_primary_until_the_window_passes(pair):
    _sql(STANDBY_PORT, "SELECT pg_wal_replay_pause()")
    try:
        assert pair.ask("create_branch", name="刚建的支部", via="api") == {"status": 201}
        assert "刚建的支部" in pair.ranked()
        time.sleep(READ_YOUR_WRITES_SECONDS + 0.5)
        # The mark has expired: the ranking is the replica's again, which has not yet
        # replayed the branch.
        assert "刚建的支部" not in pair.ranked()
    finally:
        _sql(STANDBY_PORT, "SELECT pg_wal_replay_resume()")
    _caught_up()


def test_an_admin_on_the_pages_sees_the_branch_they_just_created(pair):
    _sql(STANDBY_PORT, "SELECT pg_wal_replay_pause()")
    try:
        assert pair.ask("create_branch", name="页面新建支部", via="page") == {"status": 302}
        assert pair.ask("ranking_page", name="页面新建支部") == {"status": 200, "lists": True}
        time.sleep(READ_YOUR_WRITES_SECONDS + 0.5)
        assert pair.ask("ranking_page", name="页面新建支部") == {"status": 200, "lists": False}
    finally:
        _sql(STANDBY_PORT, "SELECT pg_wal_replay_resume()")
    _caught_up()
    assert pair.ask("ranking_page", name="页面新建支部") == {"status": 200, "lists": True}


def test_it_falls_back_to_the_primary_while_the_replica_lags_and_returns_once_caught_up(pair):
    fallbacks, returns = pair.logged(FALLBACK_LOGGED), pair.logged(RETURN_LOGGED)
    pair.ask("settings", REPLICA_MAX_LAG_SECONDS=1)
    _sql(STANDBY_PORT, "SELECT pg_wal_replay_pause()")
    try:
        pair.ask("create_branch", name="延迟期间的支部", via="direct")
        # Past the lag allowed, and past the check that notices it.
        time.sleep(1 + CHECK_SECONDS + 0.5)
        assert "延迟期间的支部" in pair.ranked()
        assert pair.ask("where")["alias"] == "default"
        assert pair.logged(FALLBACK_LOGGED) == fallbacks + 1
    finally:
        _sql(STANDBY_PORT, "SELECT pg_wal_replay_resume()")
    _caught_up()
    time.sleep(CHECK_SECONDS + 0.2)
    assert pair.ask("where") == {"alias": "replica", "in_recovery": True}
    assert pair.logged(RETURN_LOGGED) == returns + 1
    pair.ask("settings", REPLICA_MAX_LAG_SECONDS=3600)


def test_it_falls_back_to_the_primary_while_the_replica_is_down_and_returns_once_back(pair):
    fallbacks, returns = pair.logged(FALLBACK_LOGGED), pair.logged(RETURN_LOGGED)
    pair.standby("stop-standby")
    try:
        # The replica's connection, open since the last reads, is dead: the first ranking
        # finds it so, halfway or at the check, and is answered by the primary all the same.
        for _ in range(3):
            assert "主库新建支部" in pair.ranked()
        assert pair.ask("where")["alias"] == "default"
        assert pair.logged(FALLBACK_LOGGED) == fallbacks + 1
    finally:
        pair.standby("start-standby")
    _wait(_standby_up, 30, "the standby to start again")
    _caught_up()
    time.sleep(CHECK_SECONDS + 0.2)
    assert pair.ask("where") == {"alias": "replica", "in_recovery": True}
    assert pair.logged(RETURN_LOGGED) == returns + 1
