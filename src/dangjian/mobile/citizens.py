"""The citizens' (群众) phone pages under /c/: signing in by SMS code, which registers a
phone new to the platform (name, community, address), their home with the service menu
and the links to ordering, and signing out. A citizen reaches nothing of the Party
organizations: every other page refuses them (tests/volunteering/test_citizen_isolation.py).

`citizen_view` is the gate of every citizen page (the orders' pages use it too)."""

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.core.clientip import client_ip
from dangjian.core.errors import DomainError
from dangjian.core.pages import domain_errors
from dangjian.volunteering import people_selectors, services

BACKEND = "django.contrib.auth.backends.ModelBackend"


def citizen_view(view):
    """Sign-in required (the citizens' own sign-in); the view receives the user's citizen
    record. Any other account is sent to its own home page."""
    guarded = domain_errors(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            target = request.get_full_path()
            return redirect(f"{reverse('citizens:sign_in')}?{urlencode({'next': target})}")
        citizen = permissions.own_citizen(request.user)
        if citizen is None:
            return redirect("portal:home")
        return guarded(request, citizen, *args, **kwargs)

    return wrapper


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=11)


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=11, widget=forms.HiddenInput)
    code = forms.CharField(label=_("短信验证码"), max_length=6)


class RegisterForm(CodeForm):
    """The first sign-in: the code again (kept in the page) and who the citizen is."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    community = forms.TypedChoiceField(label=_("所在社区（村）"), coerce=int, choices=())
    address = forms.CharField(label=_("住址"), max_length=200)

    def __init__(self, *args, query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        found = people_selectors.communities(query)[: people_selectors.CHOICES_LIMIT]
        self.fields["community"].choices = [("", _("请选择"))] + [
            (org.pk, org.name) for org in found
        ]


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/c/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _show_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Three steps on one page: the phone (a code is sent, whoever the phone is), the code,
    and on a phone's first sign-in who the citizen is."""
    if permissions.own_citizen(request.user) is not None:
        return redirect(_next(request) or "citizens:home")
    step, status = "phone", 200
    phone_form, form = PhoneForm(), None
    query = (request.POST.get("q") or "").strip()
    if request.method == "POST" and "send" in request.POST:
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"].strip()
            try:
                services.send_citizen_code(phone=phone, client_ip=client_ip(request))
            except DomainError as exc:
                _show_error(phone_form, exc)
                status = 429 if exc.code == "too_many_requests" else 422
            else:
                step, form = "code", CodeForm(initial={"phone": phone})
        else:
            status = 422
    elif request.method == "POST" and "search" in request.POST:
        # Looking the community up by name: the form is drawn anew with what was typed.
        step, form = "register", RegisterForm(initial=request.POST.dict(), query=query)
    elif request.method == "POST":
        step = "register" if "register" in request.POST else "code"
        if step == "register":
            form = RegisterForm(request.POST, query=query)
        else:
            form = CodeForm(request.POST)
        user, status = _try_sign_in(form, query) if form.is_valid() else (None, 422)
        if isinstance(user, RegisterForm):
            step, form, status = "register", user, 200
        elif user is not None:
            login(request, user, backend=BACKEND)
            return redirect(_next(request) or "citizens:home")
    return render(
        request,
        "mobile/citizens/sign_in.html",
        {
            "step": step,
            "phone_form": phone_form,
            "form": form,
            "q": query,
            "next": _next(request),
            "demo_outbox": settings.SMS_DEMO_OUTBOX,
        },
        status=status,
    )


def _try_sign_in(form: forms.Form, query: str):
    """(the signed-in user, 200), or (None, status) with the refusal on the form, or (the
    registration form, 200) when the phone is new to the platform."""
    data = form.cleaned_data
    try:
        user = services.sign_in_citizen(
            phone=data["phone"],
            code=data["code"],
            name=data.get("name", ""),
            community_id=data.get("community"),
            address=data.get("address", ""),
        )
    except DomainError as exc:
        if exc.code == "registration_required":
            return RegisterForm(initial=data, query=query), 200
        _show_error(form, exc)
        return None, 429 if exc.code == "too_many_attempts" else 422
    return user, 200


def _link(name: str, fallback: str) -> str:
    # The orders' pages are added beside these (issue 20, point 4); until they are, their
    # agreed paths.
    try:
        return reverse(f"citizens:{name}")
    except NoReverseMatch:
        return fallback


@require_GET
@citizen_view
def home(request: HttpRequest, citizen) -> HttpResponse:
    return render(
        request,
        "mobile/citizens/home.html",
        {
            "citizen": citizen,
            "menu": list(people_selectors.menu_for(citizen.community)),
            "order_new_url": _link("citizen_order_new", "/c/orders/new/"),
            "orders_url": _link("citizen_orders", "/c/orders/"),
        },
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("citizens:sign_in")
