"""Django's database session store, without writing a row that the same response writes
again (SESSION_ENGINE).

`login()` calls `cycle_key()` against session fixation: the session's data move to a new
key, the old key's row is deleted. Django's store does this by inserting the new row at
once, and the response then updates it with the signed-in account: two writes. A visitor
who arrives without a session (the usual case when signing in inside WeChat, whose state
is a cookie of its own, mobile.wechat) has no row and no key to move away from: here
`cycle_key()` leaves such a session without a key, and the response's `save()` inserts it
under a new random key, once (Django's `create()`: a key is never the one a client sent).
A session stored under a key is cycled as Django does it. Django documents subclassing a
database-backed store and `cycle_key()` as the method `login()` calls."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def cycle_key(self):
        # Loads the session first: a key that names no live row (unknown, expired) is
        # dropped by the load, so a key planted by someone else is never kept.
        self.keys()
        if self.session_key is None:
            return
        super().cycle_key()
