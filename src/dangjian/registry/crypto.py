"""Encryption at rest for personal data, and the keyed hash used to find a row by an
exact value without decrypting every row."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derived_key(purpose: bytes) -> bytes:
    # Only in development (DEBUG=1) with FIELD_ENCRYPTION_KEYS / ID_NUMBER_HASH_KEY unset:
    # settings.py refuses to start without them otherwise (docs/operations.md).
    return hashlib.sha256(purpose + settings.SECRET_KEY.encode()).digest()


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS or [
        base64.urlsafe_b64encode(_derived_key(b"dangjian-field-encryption")).decode()
    ]
    return MultiFernet([Fernet(k) for k in keys])


@cache
def _hash_key() -> bytes:
    configured = settings.ID_NUMBER_HASH_KEY
    return configured.encode() if configured else _derived_key(b"dangjian-id-hash")


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong FIELD_ENCRYPTION_KEYS?") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()


def reset_caches() -> None:
    _fernet.cache_clear()
    _hash_key.cache_clear()
