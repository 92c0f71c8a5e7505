"""The one gate of the back office: who may enter, and how domain refusals become HTTP.

Every console view is wrapped in `admin_view`. Views fetch objects with
`permissions.access_*` and let a `DomainError` escape; `core.pages.domain_errors` turns
`not_found` into a 404 and `forbidden` into a 403 here, so no view repeats it.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect

from dangjian import permissions
from dangjian.core.pages import domain_errors, forbidden_page


def admin_view(view):
    guarded = domain_errors(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                # A partial request after the session ended: send the whole page to the
                # login form rather than drawing it inside the tree.
                page = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(page).url)
            return redirect_to_login(request.get_full_path())
        if not permissions.is_admin(request.user):
            return forbidden_page(request)
        return guarded(request, *args, **kwargs)

    return wrapper
