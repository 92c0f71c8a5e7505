"""Signing in inside WeChat (registry.wechat): a visitor whose browser is WeChat's
(`MicroMessenger` in its User-Agent) and who is not signed in is sent through WeChat's web
authorization (snsapi_base, silent) and comes back with a code, exchanged for their openid.
An openid bound to an account signs it in, without a password; an unbound one is kept in
the session and sent to activation (mobile.activation binds it once the SMS code proved the
account) — and asked again on every later visit until it is bound. A signed-in member
binds or unbinds this WeChat on their profile page."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dangjian.core.errors import DomainError
from dangjian.core.lockout import login_without_password
from dangjian.mobile.decorators import SESSION_OPENID, in_wechat, signed_in, with_next
from dangjian.registry import wechat

BACKEND = "django.contrib.auth.backends.ModelBackend"
# The `state` sent to WeChat, kept for the callback in a signed cookie of its own rather
# than in the session: a visitor who is not signed in usually has no session yet, and
# writing one only to read it back at the callback cost a row written, read and deleted
# (login() moves a session to a new key) on every sign-in. The cookie binds the answer to
# the browser that asked exactly as the session cookie did: signed (SECRET_KEY, its own
# salt), HttpOnly, SameSite=Lax (WeChat's answer is a top-level GET), sent to the callback
# only, good for STATE_MAX_AGE, removed by the callback whatever it answers; and the code
# WeChat sends with it can be exchanged once only.
STATE_COOKIE = "wechat_state"
STATE_SALT = "dangjian.mobile.wechat.state"
STATE_MAX_AGE = 600


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def bind_pending(request: HttpRequest, user) -> None:
    """Bind the account just proven (activation, reset by SMS code) to the openid WeChat
    gave this session, if any."""
    openid = request.session.get(SESSION_OPENID)
    if not openid:
        return
    try:
        wechat.bind(user=user, openid=openid)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session.pop(SESSION_OPENID, None)
        messages.success(request, _("已绑定本微信，以后在微信中打开将自动登录。"))


def _failed(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "mobile/wechat_failed.html", {"message": message}, status=status)


@never_cache
@require_GET
def signin(request: HttpRequest) -> HttpResponse:
    """Off to WeChat's authorization page; WeChat answers at `callback`."""
    target = _next(request)
    if not in_wechat(request):
        return redirect_to_login(target or reverse("mobile:home"))
    if request.user.is_authenticated:
        return redirect(target or "mobile:home")
    state = secrets.token_urlsafe(16)
    callback = request.build_absolute_uri(with_next("mobile:wechat_callback", target))
    response = redirect(wechat.authorize_url(redirect_uri=callback, state=state))
    response.set_signed_cookie(
        STATE_COOKIE,
        state,
        salt=STATE_SALT,
        max_age=STATE_MAX_AGE,
        path=reverse("mobile:wechat_callback"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    response = _answer(request)
    # The state serves once, whatever the answer.
    response.delete_cookie(STATE_COOKIE, path=reverse("mobile:wechat_callback"), samesite="Lax")
    return response


def _answer(request: HttpRequest) -> HttpResponse:
    target = _next(request)
    expected = request.get_signed_cookie(
        STATE_COOKIE, default=None, salt=STATE_SALT, max_age=STATE_MAX_AGE
    )
    code = request.GET.get("code") or ""
    if not wechat.enabled() or not expected or request.GET.get("state") != expected or not code:
        # Not an answer to a request of this browser (or the visitor refused).
        return _failed(request, _("微信登录未完成，请从公众号菜单重新打开。"), 400)
    try:
        openid = wechat.openid_for_code(code)
    except DomainError as exc:
        return _failed(request, exc.message, 502)
    user = wechat.account_for_openid(openid)
    if user is not None:
        # No password was given: axes has no attempt to count (core.lockout). login()
        # gives the session a new key (an existing one is moved, against fixation).
        login_without_password(request, user, backend=BACKEND)
        return redirect(target or "mobile:home")
    request.session[SESSION_OPENID] = openid
    return redirect(with_next("mobile:activate", target))


@require_POST
@signed_in
def bind(request: HttpRequest) -> HttpResponse:
    """A member signed in with a password inside WeChat binds this WeChat."""
    if request.session.get(SESSION_OPENID):
        bind_pending(request, request.user)
    return redirect("mobile:profile")


@require_POST
@signed_in
def unbind(request: HttpRequest) -> HttpResponse:
    try:
        wechat.unbind_own(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除微信绑定。"))
    request.session.pop(SESSION_OPENID, None)
    return redirect("mobile:profile")


def profile_context(request: HttpRequest) -> dict:
    """What the profile page shows about WeChat."""
    return {
        "wechat_bound": wechat.is_bound(request.user),
        "wechat_pending": bool(request.session.get(SESSION_OPENID)),
    }


def page_config(request: HttpRequest) -> dict | None:
    """Inside WeChat, what the page's `wx.config` needs (signed for this page's URL); None
    elsewhere, or when WeChat cannot be reached: the page then uses the browser's own
    geolocation."""
    if not in_wechat(request):
        return None
    try:
        return wechat.js_config(request.build_absolute_uri())
    except DomainError:
        return None
