from django import forms
from django.contrib.auth import authenticate, login, logout
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dangjian import permissions
from dangjian.core import lockout


class LoginForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=11)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, phone=form.cleaned_data["phone"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            form.add_error(None, lockout.locked_out_message())
            status = 429
        elif user is None:
            form.add_error(None, _("手机号或密码不正确。"))
            status = 401
        else:
            login(request, user)
            return redirect(_safe_next(request) or "portal:home")
    return render(
        request,
        "portal/login.html",
        {"form": form, "next": _safe_next(request) or ""},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


def home(request: HttpRequest) -> HttpResponse:
    """Where a signed-in account lands: the staff of the city, a county or a town on the
    back office's home (工作台, with their to-dos); a branch secretary, who administers
    branches only, on the phone's month of their branch; members on their phone pages."""
    if not request.user.is_authenticated:
        return redirect("portal:login")
    if permissions.administers_branches_only(request.user):
        return redirect("mobile:month")
    if permissions.is_admin(request.user):
        return redirect("console:home")
    return redirect("mobile:home")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})
