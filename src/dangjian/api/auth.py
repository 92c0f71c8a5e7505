from ninja.security import HttpBearer

from dangjian.registry import services
from dangjian.registry.models import ApiKey


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` from POST /api/v1/auth/token: the request's user is
    the token's holder, read here.

    `BearerToken(key_only=True)`, for check-in and check-out, reads nothing: the request
    carries the key's digest (`registry.models.ApiKey`) to the endpoint, whose one
    statement checks it with the facts it reads (attendance.checkin) and answers a key that
    holds no more 401 `unauthenticated`, as here; a body the endpoint refuses is refused
    (422) before the key is checked. One class, so the API documents one scheme."""

    def __init__(self, *, key_only: bool = False):
        super().__init__()
        self.key_only = key_only

    def __call__(self, request):
        # HttpBearer's own, reading the header from META: `request.headers` first builds a
        # mapping of every header, on each request of the city's busiest endpoint.
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request, token: str):
        if self.key_only:
            return ApiKey.presented(token)
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
            # Which token this request came with: logout revokes it, the token list marks it.
            request.api_token_key = token
        return user


def key_holds(request) -> bool:
    """False when the request came with a key for the endpoint to check
    (`BearerToken(key_only=True)`) and no one holds it any more: for the answers the API
    gives before the endpoint runs, so that such a request is answered 401 first, as any
    other endpoint answers it."""
    credential = getattr(request, "auth", None)
    return not isinstance(credential, ApiKey) or services.holder_of(credential) is not None


def actor(request):
    return request.auth
