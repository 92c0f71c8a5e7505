"""The venue map of the plan editor: Amap's (高德) JavaScript API v2, loaded from
settings.MAP_JS_URL with settings.AMAP_KEY. Without a key nothing of it is rendered and no
script is loaded: the editor keeps the phone's position and the typed address and
coordinates.

A tap on the map gives a point in Amap's system, GCJ-02: the picker writes it into the
form's latitude and longitude and selects `gcj02` as their system, and the server converts
it to WGS-84 once (core.coords.to_wgs84, in the service) before storing it. The map opens
on the venue already in the form, brought to GCJ-02 here."""

from urllib.parse import quote

from django import template
from django.conf import settings

from dangjian.core import coords
from dangjian.core.errors import DomainError

register = template.Library()


def map_script_url() -> str:
    """The map script's address with the key, or "" when no key is set."""
    key = (settings.AMAP_KEY or "").strip()
    if not key:
        return ""
    return settings.MAP_JS_URL.replace("{key}", quote(key, safe=""))


def _gcj02_centre(form) -> tuple[float, float] | None:
    """The form's venue (in the system the form names) in GCJ-02, or None."""

    def value(name):
        field = form[name]
        return field.value() if form.is_bound else form.initial.get(name, field.initial)

    try:
        latitude, longitude = float(value("latitude")), float(value("longitude"))
        system = value("coord_system") or coords.WGS84
        wgs = coords.to_wgs84(latitude, longitude, system)
    except (TypeError, ValueError, DomainError):
        return None
    if not (-90 <= wgs[0] <= 90 and -180 <= wgs[1] <= 180):
        return None
    return coords.from_wgs84(*wgs, coords.GCJ02)


@register.inclusion_tag("core/map_picker.html")
def venue_map(form):
    """The map picker for a form with latitude, longitude and coord_system fields."""
    src = map_script_url()
    if not src:
        return {"src": ""}
    centre = _gcj02_centre(form)
    return {
        "src": src,
        "security_code": settings.AMAP_SECURITY_JS_CODE,
        "lat_id": form["latitude"].id_for_label,
        "lon_id": form["longitude"].id_for_label,
        "system_id": form["coord_system"].id_for_label,
        "centre": f"{centre[1]:.6f},{centre[0]:.6f}" if centre else "",
    }
