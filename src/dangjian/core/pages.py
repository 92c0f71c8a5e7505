"""How the page interfaces (console and mobile) turn a service's refusal into a page: 404
and 403 for an object that is missing, out of scope or not to be touched (the same answer
whichever, docs/architecture.md "How a request flows"), a message for the rest."""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.text import whole_number


def forbidden_page(request):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason: str = ""):
    """settings.CSRF_FAILURE_VIEW: a form sent without its page's valid token (the page
    open too long, a sign-out elsewhere, cookies off), in the site's words instead of
    Django's English page. Rendering sets a fresh token, so going back and reloading works."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """The page of an unhandled exception (dangjian.urls' handler500): standalone, so that
    it renders whatever failed, with the request id that leads to the logged traceback."""
    context = {"request_id": getattr(request, "request_id", "")}
    return HttpResponseServerError(loader.get_template("500.html").render(context))


def domain_errors(view):
    """A `DomainError` that escapes the view: not_found → 404, forbidden → 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.code == "not_found":
                raise Http404(exc.message) from exc
            if exc.code == "forbidden":
                return forbidden_page(request)
            raise

    return wrapper


def attempt(request, success: str, service, **kwargs):
    """Run `service(actor=request.user, **kwargs)` for a form's POST and tell the next page
    how it went: `success`, or the refusal's message (not_found and forbidden still reach
    `domain_errors`: 404, 403). Returns what the service returned, None when it refused."""
    try:
        result = service(actor=request.user, **kwargs)
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


def attempt_photos(request, service, **kwargs) -> None:
    """Run `service(actor=request.user, files=..., **kwargs)` on the photos a form's POST
    sent in its `photos` field, and tell the next page how it went: the file's name and
    reason for each refused one, then what was added. The service checks each file on its
    own and answers with what it came to (`interaction.services.PhotoUploads`: `refused`,
    `added`, `summary()`); being out of scope refuses the whole request (404, 403)."""
    files = request.FILES.getlist("photos")
    if not files:
        messages.error(request, _("请选择要上传的照片。"))
        return
    outcome = service(actor=request.user, files=files, **kwargs)
    for name, reason in outcome.refused:
        messages.error(request, f"{name}：{reason}")
    if outcome.added:
        messages.success(request, outcome.summary())


def asked_year(request) -> int:
    """The year a page's `?year=` asks for; this year when it is missing or not a year the
    records can hold (2000 to next year), so that a stray value shows this year's page
    rather than an error."""
    year = whole_number(request.GET.get("year"), digits=4)
    this_year = clock.today().year
    return year if year is not None and 2000 <= year <= this_year + 1 else this_year


def form_refusal(form, exc: DomainError) -> None:
    """Show a service's refusal on the form it came from: on the field it names when the
    form has one, else above the form. not_found and forbidden are raised on (404, 403)."""
    if exc.code in ("not_found", "forbidden"):
        raise exc
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)
