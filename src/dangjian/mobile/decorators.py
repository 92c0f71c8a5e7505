"""How every phone page treats its visitor: sign-in first (inside WeChat through WeChat,
mobile.wechat), then the same 404/403 answers for objects that are missing, out of scope or
not to be touched."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian import permissions
from dangjian.core.pages import domain_errors
from dangjian.registry import wechat

# An openid WeChat gave this session that is bound to no account yet (mobile.wechat).
SESSION_OPENID = "wechat_openid"


def in_wechat(request) -> bool:
    """The visitor's browser is WeChat's, and WeChat is switched on."""
    return "MicroMessenger" in request.headers.get("User-Agent", "") and wechat.enabled()


def with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}" if target else reverse(name)


def sign_in_redirect(request):
    """Where an anonymous visitor of a phone page goes: inside WeChat, WeChat's sign-in
    (or activation, when WeChat already said who they are and they are not bound yet);
    elsewhere the password login."""
    target = request.get_full_path()
    if not in_wechat(request):
        return redirect_to_login(target)
    if request.session.get(SESSION_OPENID):
        return redirect(with_next("mobile:activate", target))
    return redirect(with_next("mobile:wechat_signin", target))


def signed_in(view):
    """Sign-in required (any account: the inbox and the plan editor are not only for
    members of a branch), with the errors of `domain_errors`."""
    guarded = domain_errors(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return sign_in_redirect(request)
        return guarded(request, *args, **kwargs)

    return wrapper


def member_view(view):
    """Sign-in required; the view receives the user's own member record. A user without
    one (an office admin, or someone whose membership ended) gets a plain explanation."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return sign_in_redirect(request)
        member = permissions.own_member(request.user)
        if member is None:
            return render(
                request,
                "mobile/no_member.html",
                {"is_admin": permissions.is_admin(request.user)},
            )
        return view(request, member, *args, **kwargs)

    return wrapper
