"""Activity photos, served only to those who may read the activity (its branch's members
and the admins above it), for pages (session) and API clients (bearer token) alike; articles'
covers (learning), to those who may read the article; and the photos of volunteer orders,
to those who may read the order.

Photos are never linked by their storage URL: every request comes here, is scope-checked,
and gets `Cache-Control: private` so that no shared cache keeps a copy. A photo's bytes
never change, so browsers may keep it for `PHOTO_POLICY["cache_max_age"]` seconds and
revalidate with its ETag."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.registry import services as registry

VARIANTS = ("thumb", "full")


def _user(request: HttpRequest):
    if request.user.is_authenticated:
        return request.user
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return registry.user_for_token(header[7:].strip())
    return None


def _cached(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=settings.PHOTO_POLICY["cache_max_age"])
    patch_vary_headers(response, ("Cookie", "Authorization"))
    return response


def _readable(request: HttpRequest, access, pk: int, variant: str):
    """What an image's address names, through its `permissions.access_*`: 404 for an
    unknown variant and for what the user may not read (missing and out of scope look the
    same)."""
    if variant not in VARIANTS:
        raise Http404
    try:
        return access(_user(request), pk)
    except DomainError as exc:
        raise Http404 from exc


@require_GET
def photo(request: HttpRequest, photo_id: int, variant: str) -> HttpResponse:
    found = _readable(request, permissions.access_photo, photo_id, variant)
    name = (found.thumbnail if variant == "thumb" else found.image).name
    return _image(request, name, f"photo-{found.pk}-{variant}")


@require_GET
def order_photo(request: HttpRequest, photo_id: int, variant: str) -> HttpResponse:
    """A photo of a volunteer order: to whoever may read the order (the requester, the
    admins over its community, the members it reaches, its volunteers)."""
    found = _readable(request, permissions.access_order_photo, photo_id, variant)
    name = (found.thumbnail if variant == "thumb" else found.image).name
    return _image(request, name, f"order-photo-{found.pk}-{variant}")


@require_GET
def article_cover(request: HttpRequest, article_id: int, variant: str) -> HttpResponse:
    found = _readable(request, permissions.access_article, article_id, variant)
    name = (found.cover_thumbnail if variant == "thumb" else found.cover).name
    if not name:
        raise Http404
    # A new cover is a new file: its name is in the tag.
    return _image(request, name, f"cover-{found.pk}-{variant}-{name.rsplit('/', 1)[-1][:12]}")


def _image(request: HttpRequest, name: str, label: str) -> HttpResponse:
    etag = f'"{label}"'
    if etag in request.headers.get("If-None-Match", ""):
        return _cached(HttpResponseNotModified(), etag)
    if settings.MEDIA_ACCEL_REDIRECT and isinstance(default_storage, FileSystemStorage):
        # The reverse proxy sends the file from its internal location.
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT.rstrip("/") + "/" + name
    else:
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{label}.jpg"'
    return _cached(response, etag)
