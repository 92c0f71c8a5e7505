from django.conf import settings
from django.urls import include, path
from django.views import defaults
from django.views.static import serve

from dangjian.api import api as api_answers
from dangjian.api.api import api
from dangjian.core import pages

# Matched in order: the API (check-ins in bursts) first.
urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("dangjian.portal.urls")),
    path("console/", include("dangjian.console.urls")),
    path("m/", include("dangjian.mobile.urls")),
    path("c/", include("dangjian.mobile.citizen_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]


# What Django answers outside any view (an unknown path, a body too large, an unhandled
# exception): the API's JSON `{"code", "message"}` under API_PATH_PREFIX, the Chinese
# pages elsewhere.


def _for_api(request) -> bool:
    return request.path_info.startswith(settings.API_PATH_PREFIX)


def handler400(request, exception):
    if _for_api(request):
        return api_answers.bad_request(request, exception)
    return defaults.bad_request(request, exception)


def handler403(request, exception):
    if _for_api(request):
        return api_answers.permission_denied(request, exception)
    return defaults.permission_denied(request, exception)


def handler404(request, exception):
    if _for_api(request):
        return api_answers.route_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _for_api(request):
        return api_answers.server_error(request)
    return pages.server_error(request)
