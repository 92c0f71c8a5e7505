"""DATABASE_REPLICA_URL: unset, the application is the one-database application (no replica
alias, no router, no middleware); set, the replica alias is made as the primary's is, on the
same backend, never migrated. The replica's routing itself is tested against a real
streaming replica (tests/core/test_replica.py)."""

import runpy

from tests.test_settings_keys import SETTINGS

PRIMARY = "postgres://app@10.0.0.1:5432/dangjian"
REPLICA = "postgres://app@10.0.0.2:5432/dangjian"


def load(monkeypatch, **env) -> dict:
    """settings.py run afresh with `env` (the suite's keys are in the environment)."""
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_without_a_replica_url_nothing_of_the_replica_is_installed(monkeypatch):
    loaded = load(monkeypatch, DATABASE_URL=PRIMARY)

    assert set(loaded["DATABASES"]) == {"default", "hot"}
    assert loaded["DATABASE_ROUTERS"] == []
    assert not [m for m in loaded["MIDDLEWARE"] if "replica" in m]


def test_a_replica_url_adds_the_replica_its_router_and_its_middleware(monkeypatch):
    loaded = load(monkeypatch, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=REPLICA)
    replica = loaded["DATABASES"]["replica"]

    assert (replica["HOST"], replica["NAME"]) == ("10.0.0.2", "dangjian")
    assert replica["ENGINE"] == loaded["DATABASES"]["default"]["ENGINE"]
    assert replica["OPTIONS"]["connect_timeout"] == 3
    # In the test suite the replica is the test database itself.
    assert replica["TEST"] == {"MIRROR": "default"}
    assert loaded["DATABASE_ROUTERS"] == ["dangjian.core.replica.ReplicaRouter"]
    # Above the API's exit, so that API requests that write mark their user too.
    middleware = loaded["MIDDLEWARE"]
    assert middleware.index("dangjian.core.replica.ReplicaMiddleware") < middleware.index(
        "dangjian.core.middleware.ApiMiddleware"
    )


def test_the_replica_is_never_migrated_nor_written():
    from dangjian.core.replica import ReplicaRouter

    router = ReplicaRouter()

    assert router.allow_migrate("replica", "registry") is False
    assert router.allow_migrate("default", "registry") is None
    assert router.db_for_write(object) == "default"
