"""Positions in the coordinate system they were taken in, brought to the one the platform
stores: WGS-84, which GPS, browsers' geolocation and photos' EXIF give. Maps in China shift
their positions: Amap, Tencent and WeChat's `wx.getLocation(type: "gcj02")` give GCJ-02,
Baidu gives BD-09; in Hanzhong either lies some 500 m from WGS-84, more than a check-in
radius. Every position an interface accepts names its system (`coord_system`), and is
converted here, once, before any rule sees it.

The conversions are prcoords' (the published GCJ-02 formula and the iterated inverses,
better than a millimetre against the forward formula). Outside mainland China, as
prcoords bounds it, neither system shifts anything: a position there is taken as it is."""

import prcoords
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)


def check_system(system) -> str:
    """The system named, or `invalid_coord_system` (with the field) for any other value."""
    if system not in SYSTEMS:
        raise DomainError(
            "invalid_coord_system",
            _("坐标系应为 wgs84、gcj02 或 bd09 之一"),
            field="coord_system",
            allowed=list(SYSTEMS),
        )
    return system


def to_wgs84(latitude: float, longitude: float, system: str = WGS84) -> tuple[float, float]:
    """(latitude, longitude) in WGS-84 of a position given in `system`."""
    if check_system(system) == WGS84:
        return latitude, longitude
    gcj = prcoords.Coords(latitude, longitude)
    if system == BD09:
        gcj = prcoords.bd_gcj_bored(gcj)
    if not prcoords.sanity_in_china_p(gcj):
        return latitude, longitude
    # The China check is the one just made, on the point the inverse starts from.
    wgs = prcoords.gcj_wgs_bored(gcj, False)
    return wgs.lat, wgs.lon


def from_wgs84(latitude: float, longitude: float, system: str = WGS84) -> tuple[float, float]:
    """(latitude, longitude) in `system` of a WGS-84 position: the forward formulas."""
    if check_system(system) == WGS84:
        return latitude, longitude
    wgs = prcoords.Coords(latitude, longitude)
    if not prcoords.sanity_in_china_p(wgs):
        return latitude, longitude
    gcj = prcoords.wgs_gcj(wgs, False)
    if system == BD09:
        gcj = prcoords.gcj_bd(gcj)
    return gcj.lat, gcj.lon
