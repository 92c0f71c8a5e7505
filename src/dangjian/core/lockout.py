"""Login throttling, on top of django-axes (AXES_HANDLER).

Axes locks a phone + client address pair after AXES_FAILURE_LIMIT failures. Two wider
limits are counted here from the same failure records, within the same cool-off:

- failures from one address across every phone (LOGIN_FAILURES_PER_IP): password
  spraying, a few guesses at each of many phones, stays under the pair limit;
- failures on one phone across every address (LOGIN_FAILURES_PER_PHONE): guesses spread
  over many addresses.

Reaching either locks like the pair limit does: the login page and the API token
endpoint answer it themselves (a page in Chinese, or 429 too_many_attempts).

A sign-in without a password (WeChat's openid, `login_without_password`) is not a password
attempt: axes' bookkeeping of a successful login (clear the expired failures, reset the
failures of the phone + address) is skipped for it. Failures counted against the phone stay
until their cool-off, as if the sign-in had not happened: proving the WeChat identity says
nothing about who typed the wrong passwords. Nor does such a sign-in write the account's
`last_login` (`record_last_login`): nothing reads it (no admin site, no Django password
reset token, no report), and it was one UPDATE in each sign-in inside WeChat, the busiest
sign-in. A password sign-in still records it, as Django does."""

import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import update_last_login
from django.db.models import Sum
from django.utils.translation import gettext as _


def keep_view_response(request, original_response, credentials=None):
    """django-axes lockout handler: the login page and the API token endpoint each render
    their own lockout answer (a page in Chinese, or 429 too_many_attempts), so keep it."""
    return original_response


# Set on a request whose sign-in proved the account without a password.
WITHOUT_PASSWORD = "dangjian_without_password"


def login_without_password(request, user, *, backend: str) -> None:
    """Django's `login()` for an account proven otherwise than by a password (a new session
    key against fixation, the account's session hash, `user_logged_in` sent), without
    axes' password-attempt bookkeeping (module docstring)."""
    setattr(request, WITHOUT_PASSWORD, True)
    login(request, user, backend=backend)


def record_last_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver in place of Django's `update_last_login` (connected by
    core.apps): the same, except for a sign-in without a password (module docstring)."""
    if getattr(request, WITHOUT_PASSWORD, False):
        return
    update_last_login(sender, user, **kwargs)


def cool_off_minutes() -> int:
    """How long a locked login waits, in whole minutes (AXES_COOLOFF_TIME), for the
    message that tells the person when to try again."""
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_out_message() -> str:
    """What a locked-out sign-in is told, on the login page and by the API's token call."""
    return _("登录失败次数过多，请 %(minutes)d 分钟后再试。") % {"minutes": cool_off_minutes()}


def wider_limit_reached(*, per_ip: int, per_phone: int) -> bool:
    """Whether the failures counted across phones or across addresses lock the login."""
    return (
        per_ip >= settings.LOGIN_FAILURES_PER_IP or per_phone >= settings.LOGIN_FAILURES_PER_PHONE
    )


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with the two wider limits (module docstring)."""

    def user_logged_in(self, sender, request, user, **kwargs):
        if getattr(request, WITHOUT_PASSWORD, False):
            return
        super().user_logged_in(sender, request, user, **kwargs)

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        ip = getattr(request, "axes_ip_address", None)
        phone = get_client_username(request, credentials)
        per_ip = _sum(recent.filter(ip_address=ip)) if ip else 0
        per_phone = _sum(recent.filter(username=phone)) if phone else 0
        if wider_limit_reached(per_ip=per_ip, per_phone=per_phone):
            return limit
        return failures


def _sum(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
