"""How every phone page treats its visitor: sign-in first, then the same 404/403 answers
for objects that are missing, out of scope or not to be touched."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from dangjian import permissions
from dangjian.core.pages import domain_errors


def signed_in(view):
    """Sign-in required (any account: the inbox and the plan editor are not only for
    members of a branch), with the errors of `domain_errors`."""
    guarded = domain_errors(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return guarded(request, *args, **kwargs)

    return wrapper


def member_view(view):
    """Sign-in required; the view receives the user's own member record. A user without
    one (an office admin, or someone whose membership ended) gets a plain explanation."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = permissions.own_member(request.user)
        if member is None:
            return render(
                request,
                "mobile/no_member.html",
                {"is_admin": permissions.is_admin(request.user)},
            )
        return view(request, member, *args, **kwargs)

    return wrapper
