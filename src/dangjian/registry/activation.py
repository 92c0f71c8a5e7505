"""Getting into an account by a code sent in a text message: activating an account that
has never had a password (imported, or reset by an admin) and resetting a forgotten one.

One function a verb: `send_code` (the same answer whether the phone is registered or not),
`activate` (code + the last six characters of the ID number + a new password) and
`reset_password` (code + a new password). The rules of a code are pure functions
(`send_wait`, `code_refusal`) with their limits here; time comes from `core.clock`.

Inside WeChat, activation may bind the visitor's WeChat identity (registry.wechat) instead
of setting a password. A citizen's sign-in (volunteering.services) asks its codes here too,
under its own purpose, and redeems them through `redeem` with its own check."""

import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.notifications import services as notifications
from dangjian.notifications.models import SmsCode, SmsCodePurpose
from dangjian.registry import accounts, crypto, invitations, wechat
from dangjian.registry.models import Member, User
from dangjian.registry.validation import PHONE_RE

CODE_LIFETIME = timedelta(minutes=5)
MAX_WRONG_TRIES = 5
PHONE_INTERVAL = timedelta(seconds=60)
PHONE_PER_DAY = 10
DAY = timedelta(days=1)
IP_WINDOW = timedelta(hours=1)


# The rules ---------------------------------------------------------------------------------


def send_wait(
    *, now: datetime, phone_times: list[datetime], ip_times: list[datetime], ip_limit: int
) -> int:
    """Seconds before another code may be sent (0: now). `phone_times` are the requests for
    the phone within the last day, `ip_times` those from the client address within the
    last hour: one a minute and PHONE_PER_DAY a day per phone, `ip_limit` an hour per
    address."""
    waits = [0.0]
    if phone_times:
        waits.append((max(phone_times) + PHONE_INTERVAL - now).total_seconds())
    if len(phone_times) >= PHONE_PER_DAY:
        oldest = sorted(phone_times)[-PHONE_PER_DAY]
        waits.append((oldest + DAY - now).total_seconds())
    if len(ip_times) >= ip_limit:
        oldest = sorted(ip_times)[-ip_limit]
        waits.append((oldest + IP_WINDOW - now).total_seconds())
    wait = max(waits)
    return int(wait) + (1 if wait > int(wait) else 0)


def code_refusal(
    *, now: datetime, used: bool, failed_attempts: int, expires_at: datetime
) -> str | None:
    """Why the latest code asked for a phone cannot be tried (an error code), or None."""
    if used:
        return "invalid_code"
    if failed_attempts >= MAX_WRONG_TRIES:
        return "too_many_attempts"
    if now >= expires_at:
        return "code_expired"
    return None


def id_last6_matches(id_number: str, id_last6: str) -> bool:
    given = id_last6.strip().upper()
    # As bytes: compare_digest refuses str that is not ASCII.
    return len(given) == 6 and hmac.compare_digest(id_number[-6:].upper().encode(), given.encode())


def _error(code: str) -> DomainError:
    # Translated when raised, in the request's language.
    messages = {
        "invalid_code": _("验证码不正确或已使用，请重新获取。"),
        "code_expired": _("验证码已过期，请重新获取。"),
        "too_many_attempts": _("验证码错误次数过多，请重新获取。"),
    }
    return DomainError(code, messages[code], field="code")


# The verbs ---------------------------------------------------------------------------------


def _hash(phone: str, purpose: str, code: str) -> str:
    return salted_hmac("dangjian.registry.activation", f"{phone}:{purpose}:{code}").hexdigest()


def _may_receive(user: User | None, purpose: str) -> bool:
    """Whom a code is sent to: for activation a member still on the books (an account that
    is active already hears so once the code is given, `already_active`); for a reset an
    account that has a password. A citizen's sign-in registers new phones, so every phone
    receives its code; one that is not a citizen's hears why only once the code is given
    (volunteering.services.sign_in_citizen)."""
    if purpose == SmsCodePurpose.CITIZEN:
        return True
    if user is None or not user.is_active:
        return False
    if purpose == SmsCodePurpose.ACTIVATE:
        return Member.objects.filter(user=user, is_active=True).exists()
    return user.has_usable_password()


@transaction.atomic
def send_code(*, phone: str, purpose: str, client_ip: str | None) -> None:
    """Ask for a code. Registered or not, the phone gets the same answer: nothing, or
    `too_many_requests` with `retry_after` (the limits count every request)."""
    if not PHONE_RE.match(phone or ""):
        raise DomainError("validation_error", _("请输入正确的手机号"), field="phone")
    if purpose not in SmsCodePurpose.values:
        raise DomainError("validation_error", _("用途无效"), field="purpose")
    now = clock.now()
    # The phone's own requests are serialized by locking its account, when it has one;
    # for an unknown phone nothing is sent, whatever a race lets through.
    user = User.objects.select_for_update().filter(phone=phone).first()
    phone_times = list(
        SmsCode.objects.filter(phone=phone, created_at__gt=now - DAY).values_list(
            "created_at", flat=True
        )
    )
    ip_times = (
        list(
            SmsCode.objects.filter(client_ip=client_ip, created_at__gt=now - IP_WINDOW).values_list(
                "created_at", flat=True
            )
        )
        if client_ip
        else []
    )
    wait = send_wait(
        now=now,
        phone_times=phone_times,
        ip_times=ip_times,
        ip_limit=settings.SMS_CODES_PER_IP_HOUR,
    )
    if wait:
        raise DomainError(
            "too_many_requests",
            _("发送过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": wait},
            retry_after=wait,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    receives = _may_receive(user, purpose)
    SmsCode.objects.create(
        phone=phone,
        purpose=purpose,
        user=user if receives else None,
        code_hash=_hash(phone, purpose, code),
        client_ip=client_ip,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    if receives:
        notifications.send_sms(
            phone=phone,
            template="verification_code",
            params={"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), field="password") from exc


def redeem(*, phone: str, purpose: str, code: str, check) -> User:
    """Try the latest code asked for the phone and purpose. A wrong code (or a wrong second
    factor, through `check`) counts as a wrong try, kept even though the call fails; the
    code is used once the account is in. `check(user)` returns a refusal or None;
    `check.finish(user)` does the purpose's work, may raise with nothing written (the code
    stays), and returns the account when it made one: a check with `new_phones = True` is
    also given the codes of phones that had no account (`user` None)."""
    new_phones = getattr(check, "new_phones", False)
    refusal = None
    with transaction.atomic():
        now = clock.now()
        row = (
            # The code's row alone: PostgreSQL locks nothing over the outer join to its
            # account (nullable), it refuses the query.
            SmsCode.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(phone=phone or "", purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            raise _error("invalid_code")
        refusal = code_refusal(
            now=now,
            used=row.used_at is not None,
            failed_attempts=row.failed_attempts,
            expires_at=row.expires_at,
        )
        if refusal is None:
            given = (code or "").strip()
            if (row.user is None and not new_phones) or not hmac.compare_digest(
                row.code_hash, _hash(phone, purpose, given)
            ):
                refusal = "invalid_code"
            else:
                refusal = check(row.user)
            if refusal is not None:
                row.failed_attempts += 1
                row.save(update_fields=["failed_attempts"])
        if refusal is None:
            # Raises (weak_password, already_active) with nothing written: the code stays.
            user = check.finish(row.user) or row.user
            row.used_at = now
            row.save(update_fields=["used_at"])
            return user
    if isinstance(refusal, DomainError):
        raise refusal
    raise _error(refusal)


class _Activation:
    def __init__(self, id_last6: str, password: str, wechat_openid: str | None = None):
        self.id_last6 = id_last6 or ""
        self.password = password or ""
        self.wechat_openid = wechat_openid or ""

    def __call__(self, user: User):
        member = Member.objects.filter(user=user).first()
        if member is None or not id_last6_matches(
            crypto.decrypt(member.id_number_encrypted), self.id_last6
        ):
            return DomainError("invalid_id_number", _("身份证号后六位不正确。"), field="id_last6")
        return None

    def finish(self, user: User) -> None:
        if invitations.is_activated(password=user.password, wechat_bound=wechat.is_bound(user)):
            raise DomainError(
                "already_active", _("该账号已激活，请直接登录；忘记密码可通过短信重置。")
            )
        if self.wechat_openid and not self.password:
            # Inside WeChat the WeChat identity stands for the password: bound, the account
            # is signed in by WeChat from now on (a password can be set later by reset).
            accounts.revoke_all_credentials(user=user, actor=user, reason="user.activate")
            wechat.bind(user=user, openid=self.wechat_openid)
            audit.record(
                actor=user, action="user.activate", obj=user, org=accounts.account_org(user)
            )
            return
        _check_password(self.password, user)
        _set_password(user, self.password, action="user.activate")


class _Reset:
    def __init__(self, password: str):
        self.password = password or ""

    def __call__(self, user: User):
        return None

    def finish(self, user: User) -> None:
        _check_password(self.password, user)
        _set_password(user, self.password, action="user.reset_password")


def _set_password(user: User, password: str, *, action: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    # The account may have been someone else's before (phone numbers are recycled):
    # whatever signed it in before stops.
    accounts.revoke_all_credentials(user=user, actor=user, reason=action)
    audit.record(actor=user, action=action, obj=user, org=accounts.account_org(user))


def activate(
    *, phone: str, code: str, id_last6: str, password: str, wechat_openid: str | None = None
) -> User:
    """Activate a not yet activated account: the code, the last six characters of the
    member's ID number (a recycled phone number is not enough), and a new password — or,
    inside WeChat, no password and the visitor's `wechat_openid`, bound to the account
    instead. Returns the account, signed in by the caller."""
    return redeem(
        phone=phone,
        purpose=SmsCodePurpose.ACTIVATE,
        code=code,
        check=_Activation(id_last6, password, wechat_openid),
    )


def reset_password(*, phone: str, code: str, password: str) -> User:
    """Set a new password for an account that forgot its own; every earlier sign-in of it
    ends."""
    return redeem(phone=phone, purpose=SmsCodePurpose.RESET, code=code, check=_Reset(password))


def forget_old_codes() -> int:
    """Delete the codes older than the send limits look back (a day): they can no longer be
    used nor counted. Scheduled (registry.tasks)."""
    deleted, _ = SmsCode.objects.filter(created_at__lte=clock.now() - DAY).delete()
    return deleted
