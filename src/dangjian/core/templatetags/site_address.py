"""`{% other_site_host request as host %}`: the host the posters name (SITE_URL) when the
browser is on another one, else "" — the back office's warning banner asks it."""

from django import template

from dangjian.core import site

register = template.Library()


@register.simple_tag
def other_site_host(request) -> str:
    if request is None or not site.is_other_host(request.get_host()):
        return ""
    return site.site_host()
