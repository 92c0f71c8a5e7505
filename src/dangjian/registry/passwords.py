"""Password rules of our own, beside Django's validators (AUTH_PASSWORD_VALIDATORS), which
every path that sets a password runs through services._check_password."""

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Eight of a mainland mobile number's eleven digits: the number without its 1xx prefix.
PHONE_DIGITS_KEPT = 8


def contains_phone(password: str, phone: str) -> bool:
    """Whether the password holds the phone number's last eight digits, forwards or
    backwards. Django's UserAttributeSimilarityValidator compares whole strings, so a
    long password built around the number passes it."""
    if not phone or len(phone) < PHONE_DIGITS_KEPT:
        return False
    tail = phone[-PHONE_DIGITS_KEPT:]
    return tail in password or tail[::-1] in password


class PhoneInPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if contains_phone(password, getattr(user, "phone", "") or ""):
            raise ValidationError(_("密码不能包含手机号。"), code="password_contains_phone")

    def get_help_text(self) -> str:
        return _("密码不能包含手机号。")


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's Password Storage Cheat Sheet minimum: 19 MiB of memory, two
    passes, one lane (docs/decisions.md). Django's own defaults (100 MiB, eight lanes) cost
    several times as much per login on a small server for no gain a lane count brings on
    two cores. The algorithm name stays Django's, so a hash made with other parameters
    still verifies and is rehashed with these at the next login (`must_update`)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
