from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import get_resolver, set_urlconf
from django.utils import translation


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


MAX_REMEMBERED_PATHS = 200


class ApiMiddleware:
    """Requests to the JSON API skip the page middleware below this one.

    The API authenticates with a bearer token and answers JSON: sessions, CSRF (ninja's
    views are exempt), session users, messages, htmx, X-Frame-Options and axes' lockout
    page (the token endpoint answers its own 429) do nothing for it but cost the city's
    busiest endpoint, the check-in, about a tenth of its CPU. Above it stay what the API
    needs too: the security headers and the language. So an API request is routed here
    as Django's handler would (the same URL configuration, `request.resolver_match`),
    with `request.user` anonymous until the bearer token's check sets it; ninja turns its
    own errors into responses, and an unknown path raises Resolver404 as before (Django's
    404). Every other request goes on down the stack."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = settings.API_PATH_PREFIX
        # path -> its ResolverMatch, for paths that capture nothing (the check-in's): with
        # the URL configuration fixed while the process runs, the answer for such a path
        # never changes, and walking the patterns to find it again was a seventh of the
        # check-in's handling outside its service (callgrind, 111,000 of 774,000
        # instructions). A request with its own `urlconf` is resolved as before.
        self.matches = {}

    def __call__(self, request):
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        request.user = AnonymousUser()
        urlconf = getattr(request, "urlconf", None)
        path = request.path_info
        match = self.matches.get(path) if urlconf is None else None
        if match is None:
            if urlconf is not None:
                set_urlconf(urlconf)
            match = get_resolver(urlconf).resolve(path)
            if urlconf is None and not match.args and not match.kwargs:
                if len(self.matches) >= MAX_REMEMBERED_PATHS:
                    self.matches.clear()
                self.matches[path] = match
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
