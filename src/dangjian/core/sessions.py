"""Django's database session store, without writing a row that the same response writes
again, and without asking whether a new key is free (SESSION_ENGINE).

`login()` calls `cycle_key()` against session fixation: the session's data move to a new
key, the old key's row is deleted. Django's store does this by inserting the new row at
once, and the response then updates it with the signed-in account: two writes. A visitor
who arrives without a session (the usual case when signing in inside WeChat, whose state
is a cookie of its own, mobile.wechat) has no row and no key to move away from: here
`cycle_key()` leaves such a session without a key, and the response's `save()` inserts it
under a new random key, once (Django's `create()`: a key is never the one a client sent).
A session stored under a key is cycled as Django does it.

`create()` draws random keys until one is inserted: Django's asks `exists()` of each key
first (a SELECT), although the insert itself (`save(must_create=True)`) refuses a taken key
with CreateError and `create()` then draws another. While creating, `exists()` answers
"free" without asking, so a new session costs its INSERT only; a taken key (32 characters
drawn from 36: never in practice) is still never overwritten.

Django documents subclassing a database-backed store and these methods (`cycle_key()` as
the one `login()` calls; `exists()`, `create()`, `save()` as a store's own)."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    _creating = False

    def cycle_key(self):
        # Loads the session first: a key that names no live row (unknown, expired) is
        # dropped by the load, so a key planted by someone else is never kept.
        self.keys()
        if self.session_key is None:
            return
        super().cycle_key()

    def create(self):
        self._creating = True
        try:
            super().create()
        finally:
            self._creating = False

    def exists(self, session_key):
        if self._creating:
            # The INSERT that follows answers this (module docstring).
            return False
        return super().exists(session_key)
