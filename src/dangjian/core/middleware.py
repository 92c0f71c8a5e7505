from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import resolve
from django.utils import translation

from dangjian.core import requestid


class RequestIdMiddleware:
    """Gives each request a short random id (core.requestid): `request.request_id`, on every
    log line written while it runs, and in the answer's X-Request-ID header, so that the id
    a user reads off an error leads to its traceback in the log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id = requestid.new()
        token = requestid.begin(request_id)
        try:
            response = self.get_response(request)
        finally:
            requestid.end(token)
        response.headers[requestid.HEADER] = request_id
        return response


class DefaultLanguageMiddleware:
    """Simplified Chinese unless the user chose another language.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would show
    English to an admin whose office PC happens to be set up in English. The platform's
    language is Chinese; English is opt-in through the language cookie (set_language).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class ApiMiddleware:
    """Requests to the JSON API skip the page middleware below this one.

    The API authenticates with a bearer token and answers JSON: sessions, CSRF (ninja's
    views are exempt), session users, messages, htmx, X-Frame-Options and axes' lockout
    page (the token endpoint answers its own 429) do nothing for it but cost the city's
    busiest endpoint, the check-in, a good part of its CPU (docs/decisions.md). Above it
    stay what the API needs too: the security headers and the language. An API request is
    routed here as Django's handler would route it (`resolve()`, `request.resolver_match`),
    with `request.user` anonymous until the bearer token's check sets it; ninja turns its
    own errors into responses; an unknown path raises Resolver404, and any other exception
    escapes, to Django's handlers that dangjian.urls points at the API's JSON answers."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = settings.API_PATH_PREFIX

    def __call__(self, request):
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        request.user = AnonymousUser()
        match = resolve(request.path_info, getattr(request, "urlconf", None))
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
