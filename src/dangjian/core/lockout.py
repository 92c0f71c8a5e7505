def keep_view_response(request, original_response, credentials=None):
    """django-axes lockout handler: the login page and the API token endpoint each render
    their own lockout answer (a page in Chinese, or 429 too_many_attempts), so keep it."""
    return original_response
