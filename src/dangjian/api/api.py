from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dangjian.api.auth import BearerToken, key_holds
from dangjian.api.errors import status_for
from dangjian.api.openapi import DocumentedApi
from dangjian.core.errors import DomainError

api = DocumentedApi(
    title="Dangjian Cloud API",
    version="1",
    description=(
        "智慧党建云平台 JSON API. Authenticate with POST /api/v1/auth/token, then send "
        '`Authorization: Bearer <token>`. Every error is `{"code", "message"}` with a '
        "stable code."
    ),
    urls_namespace="api",
    auth=BearerToken(),
)


def _error(request, status: int, code: str, message: str, **details):
    return api.create_response(
        request, {"code": code, "message": message, **details}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=status_for(exc.code))


# A request refused before its endpoint ran (its body, its JSON, its size) whose key the
# endpoint was to check (auth.BearerToken(key_only=True): check-in, check-out) is answered
# 401 first when the key holds no more, as every other endpoint answers it.


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    if not key_holds(request):
        return on_unauthenticated(request, exc)
    errors = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or None,
            "message": err.get("msg", ""),
        }
        for err in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "message": ""}
    message = _("请求数据有误")
    if first["field"]:
        message = _("请求数据有误：%(field)s %(message)s") % first
    return _error(request, 422, "validation_error", message, errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated", _("请先登录"))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", _("未找到该对象。"))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if not key_holds(request):
        return on_unauthenticated(request, exc)
    code = {400: "bad_request", 405: "method_not_allowed", 413: "file_too_large"}.get(
        exc.status_code, "error"
    )
    return _error(request, exc.status_code, code, str(exc))


# What Django answers itself, outside any endpoint (dangjian.urls' handlers send requests
# under API_PATH_PREFIX here): an unknown path, a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
# an unhandled exception. The request id (core.requestid) is on the log's lines too.


def route_not_found(request):
    return _error(request, 404, "not_found", _("未找到该接口。"))


def bad_request(request, exc: Exception):
    if not key_holds(request):
        return on_unauthenticated(request, exc)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _error(request, 413, "payload_too_large", _("请求数据过大。"))
    return _error(request, 400, "bad_request", _("请求无效。"))


def permission_denied(request, exc: Exception):
    return _error(request, 403, "forbidden", _("您没有权限执行此操作。"))


def server_error(request):
    request_id = getattr(request, "request_id", None)
    return _error(
        request,
        500,
        "server_error",
        _("服务器出错了，请稍后再试；如仍出错，请把编号 %(id)s 告知管理员。") % {"id": request_id},
        request_id=request_id,
    )


from dangjian.api.routers import (  # noqa: E402
    attendance,
    imports,
    interaction,
    quizzes,
    registry,
    themedays,
)

# URLs are matched in this order, one pattern after another (a pattern tried costs the
# request a regular expression): the check-in, the busiest endpoint by far, comes first,
# then the quizzes, whose monthly peak is 20,000 members starting one at once.
api.add_router("", attendance.router)
api.add_router("", quizzes.router)
api.add_router("", registry.router)
api.add_router("", imports.router)
api.add_router("", themedays.router)
api.add_router("", interaction.router)

from dangjian.api.routers import attachments, scoring, supervision  # noqa: E402

api.add_router("", scoring.router)
api.add_router("", supervision.router)
api.add_router("", attachments.router)

from dangjian.api.routers import activation  # noqa: E402

api.add_router("", activation.router)

from dangjian.api.routers import learning  # noqa: E402

api.add_router("", learning.router)

from dangjian.api.routers import packages  # noqa: E402

api.add_router("", packages.router)

from dangjian.api.routers import volunteer_stats  # noqa: E402

api.add_router("", volunteer_stats.router)

from dangjian.api.routers import volunteer_orders  # noqa: E402

api.add_router("", volunteer_orders.router)

from dangjian.api.routers import volunteer_people  # noqa: E402

api.add_router("", volunteer_people.router)

from dangjian.api.routers import volunteer_claims  # noqa: E402

api.add_router("", volunteer_claims.router)

from dangjian.api.routers import supervision_monthly  # noqa: E402

api.add_router("", supervision_monthly.router)

from dangjian.api.routers import record_reviews  # noqa: E402

api.add_router("", record_reviews.router)

from dangjian.api.routers import ledgers  # noqa: E402

api.add_router("", ledgers.router)

from dangjian.api.routers import awards  # noqa: E402

api.add_router("", awards.router)

from dangjian.api.routers import orglife  # noqa: E402

api.add_router("", orglife.router)

from dangjian.api.routers import bulletins  # noqa: E402

api.add_router("", bulletins.router)

from dangjian.api.routers import appraisal  # noqa: E402

api.add_router("", appraisal.router)

from dangjian.api.routers import todos  # noqa: E402

api.add_router("", todos.router)

from dangjian.api.routers import jobs  # noqa: E402

api.add_router("", jobs.router)
