from ninja.security import HttpBearer

from dangjian.registry import services


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` from POST /api/v1/auth/token."""

    def authenticate(self, request, token: str):
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


def actor(request):
    return request.auth
