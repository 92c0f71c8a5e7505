"""Getting into an account by SMS code: activation and password reset (registry.activation)."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from dangjian.api.schemas import ErrorOut
from dangjian.core.clientip import client_ip
from dangjian.registry import activation, services

router = Router(tags=["auth"])
ERRORS = {400: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class SmsCodeIn(Schema):
    phone: str
    purpose: str


class AcceptedOut(Schema):
    message: str


class ActivateIn(Schema):
    phone: str
    code: str
    id_last6: str
    password: str


class ResetIn(Schema):
    phone: str
    code: str
    password: str


class SignedInOut(Schema):
    token: str
    expires_at: datetime
    user_id: int
    name: str


@router.post("/auth/sms-code", auth=None, response={202: AcceptedOut, **ERRORS})
def send_sms_code(request, payload: SmsCodeIn):
    """Send a 6-digit code (valid 5 minutes) for `activate` or `reset`. 202 whether the
    phone is registered or not; 429 `too_many_requests` with `retry_after` (seconds) after
    one request a minute or ten a day for a phone, or too many from one address."""
    activation.send_code(phone=payload.phone, purpose=payload.purpose, client_ip=client_ip(request))
    return Status(202, {"message": _("如该手机号可以使用，验证码已发送，5分钟内有效。")})


def _signed_in(user) -> dict:
    key, token = services.issue_api_token(user=user)
    return {"token": key, "expires_at": token.expires_at, "user_id": user.pk, "name": user.name}


@router.post("/auth/activate", auth=None, response={200: SignedInOut, **ERRORS})
def activate(request, payload: ActivateIn):
    """Activate an account that has never had a password: the code, the last six characters
    of the ID number and a new password; answers a token. 422 `invalid_code`,
    `code_expired`, `invalid_id_number`, `weak_password`; 429 `too_many_attempts` (five
    wrong tries: ask a new code); 409 `already_active`."""
    user = activation.activate(
        phone=payload.phone,
        code=payload.code,
        id_last6=payload.id_last6,
        password=payload.password,
    )
    return _signed_in(user)


@router.post("/auth/password-reset", auth=None, response={200: SignedInOut, **ERRORS})
def password_reset(request, payload: ResetIn):
    """Set a new password with a code asked for `reset`; every earlier token and session of
    the account ends, and a new token is answered. Errors as for activation."""
    user = activation.reset_password(
        phone=payload.phone, code=payload.code, password=payload.password
    )
    return _signed_in(user)
