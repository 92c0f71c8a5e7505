"""Getting in by SMS code on the phone: activating an account that has never had a
password, and resetting a forgotten one (registry.activation). Two steps on one page: the
phone number (a code is sent), then the code with what the purpose asks for; the account is
then signed in and sent where it was going."""

import functools

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from dangjian.core.clientip import client_ip
from dangjian.core.errors import DomainError
from dangjian.core.forms import NewPasswordForm
from dangjian.mobile import wechat
from dangjian.mobile.decorators import SESSION_OPENID
from dangjian.registry import activation

BACKEND = "django.contrib.auth.backends.ModelBackend"


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=11)


class CodeForm(NewPasswordForm):
    """The code, and the password to set (typed twice, as NewPasswordForm checks)."""

    field_order = ["phone", "code", "password", "password2"]

    phone = forms.CharField(max_length=11, widget=forms.HiddenInput)
    code = forms.CharField(label=_("短信验证码"), max_length=6)
    password = forms.CharField(label=_("设置密码"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, max_length=128)


class ActivateForm(CodeForm):
    id_last6 = forms.CharField(label=_("身份证号后六位"), max_length=6, min_length=6)

    def __init__(self, *args, in_wechat: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Inside WeChat the password is optional: WeChat signs the account in.
        for name in ("password", "password2"):
            self.fields[name].required = not in_wechat


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _show_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


def _flow(request: HttpRequest, purpose: str) -> HttpResponse:
    # The openid WeChat gave this session, not bound yet (mobile.wechat).
    openid = request.session.get(SESSION_OPENID) or ""
    if purpose == "activate":
        code_form_class = functools.partial(ActivateForm, in_wechat=bool(openid))
    else:
        code_form_class = CodeForm
    step, status = "phone", 200
    phone_form, code_form = PhoneForm(), None
    if request.method == "POST" and "send" in request.POST:
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"].strip()
            try:
                activation.send_code(phone=phone, purpose=purpose, client_ip=client_ip(request))
            except DomainError as exc:
                _show_error(phone_form, exc)
                status = 429 if exc.code == "too_many_requests" else 422
            else:
                step, code_form = "code", code_form_class(initial={"phone": phone})
    elif request.method == "POST":
        step, code_form = "code", code_form_class(request.POST)
        if code_form.is_valid():
            data = code_form.cleaned_data
            try:
                if purpose == "activate":
                    user = activation.activate(
                        phone=data["phone"],
                        code=data["code"],
                        id_last6=data["id_last6"],
                        password=data["password"],
                        wechat_openid=openid or None,
                    )
                else:
                    user = activation.reset_password(
                        phone=data["phone"], code=data["code"], password=data["password"]
                    )
            except DomainError as exc:
                _show_error(code_form, exc)
                status = 429 if exc.code == "too_many_attempts" else 422
            else:
                # Inside WeChat, the account just proven is bound to this WeChat.
                wechat.bind_pending(request, user)
                login(request, user, backend=BACKEND)
                return redirect(_next(request) or "mobile:home")
        else:
            status = 422
    return render(
        request,
        "mobile/activation.html",
        {
            "purpose": purpose,
            "step": step,
            "phone_form": phone_form,
            "code_form": code_form,
            "next": _next(request),
            "demo_outbox": settings.SMS_DEMO_OUTBOX,
            "wechat_pending": bool(openid),
        },
        status=status,
    )


@never_cache
def activate(request: HttpRequest) -> HttpResponse:
    return _flow(request, "activate")


@never_cache
def reset_password(request: HttpRequest) -> HttpResponse:
    return _flow(request, "reset")
