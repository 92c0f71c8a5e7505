from ninja.security import HttpBearer

from dangjian.registry import services


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` from POST /api/v1/auth/token."""

    def __call__(self, request):
        # HttpBearer's own, reading the header from META: `request.headers` first builds a
        # mapping of every header, on each request of the city's busiest endpoint.
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request, token: str):
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
            # Which token this request came with: logout revokes it, the token list marks it.
            request.api_token_key = token
        return user


def actor(request):
    return request.auth
