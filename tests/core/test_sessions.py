"""The session store (core.sessions): a new session is one INSERT, without asking first
whether its random key is free, and a key that is taken is still never overwritten."""

import pytest
from django.contrib.sessions.backends import base
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.sessions import SessionStore

pytestmark = pytest.mark.django_db

TRANSACTION = {"BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"}


def statements(queries) -> list[str]:
    verbs = [q["sql"].split(" ", 1)[0] for q in queries]
    return [v for v in verbs if v not in TRANSACTION]


def test_a_new_session_is_inserted_without_asking_whether_its_key_is_free():
    store = SessionStore()
    store["seen"] = 1
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert statements(queries) == ["INSERT"]
    assert SessionStore(store.session_key)["seen"] == 1


def test_a_key_that_is_taken_is_not_overwritten_and_another_is_drawn(monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    drawn = iter([taken.session_key, "fresh0000000000000000000000000000"])
    monkeypatch.setattr(base, "get_random_string", lambda *args, **kwargs: next(drawn))
    store = SessionStore()
    store["owner"] = "second"
    store.save()
    assert store.session_key == "fresh0000000000000000000000000000"
    assert SessionStore(taken.session_key)["owner"] == "first"
    assert SessionStore(store.session_key)["owner"] == "second"
    assert Session.objects.count() == 2


def test_exists_still_asks_the_database_outside_creating():
    store = SessionStore()
    store.save()
    assert SessionStore().exists(store.session_key)
    assert not SessionStore().exists("unknown0000000000000000000000000")
