"""Rotating-QR codes: an HMAC of the 30-second time step under the activity's own secret.
The screen shows the current code; the server accepts the current and the previous one,
so a scan made just before a change still works and a forwarded photo expires within a
minute."""

import base64
import hashlib
import hmac
from datetime import datetime

STEP_SECONDS = 30


def _step(when: datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


def _code(secret: str, step: int) -> str:
    digest = hmac.new(secret.encode(), str(step).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode().lower()


def code_at(secret: str, when: datetime) -> str:
    return _code(secret, _step(when))


def seconds_left(when: datetime) -> int:
    """Seconds until the code shown at `when` changes."""
    return STEP_SECONDS - int(when.timestamp()) % STEP_SECONDS


def is_valid(secret: str, code: str, now: datetime) -> bool:
    code = (code or "").strip().lower()
    if not code:
        return False
    step = _step(now)
    return any(hmac.compare_digest(code, _code(secret, s)) for s in (step, step - 1))
