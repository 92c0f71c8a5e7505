from django.conf import settings
from django.urls import include, path
from django.views.static import serve

from dangjian.api.api import api

# Matched in order: the API (check-ins in bursts) first.
urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("dangjian.portal.urls")),
    path("console/", include("dangjian.console.urls")),
    path("m/", include("dangjian.mobile.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
