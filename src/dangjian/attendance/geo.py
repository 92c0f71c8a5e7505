"""Great-circle distance on the mean Earth sphere: accurate to well under a metre at the
few hundred metres of a check-in radius, which is far below what phones report.

Every position here is WGS-84, as stored: one given in GCJ-02 or BD-09 (Chinese maps,
WeChat) is converted before it gets here (`dangjian.core.coords`)."""

import math

from dangjian.core import labels

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres between two WGS-84 positions."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def destination(lat: float, lon: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """The position `dist_m` metres from (lat, lon) along `bearing_deg` (0 = north)."""
    delta = dist_m / EARTH_RADIUS_M
    theta = math.radians(bearing_deg)
    phi1, lmb1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lmb2) + 540) % 360 - 180


def describe(dist_m: float) -> str:
    """A distance as a person says it: 850 米, 1.2 公里."""
    return labels.distance(dist_m)


IMPRECISE = "imprecise_location"
OUT_OF_RANGE = "out_of_range"


def fence_breach(*, distance_m: float, accuracy_m: float, radius_m: int) -> str | None:
    """Whether a phone's position counts as at a place of `radius_m`: None when it does,
    else why not. A fix less precise than the radius cannot tell inside from outside
    (`imprecise_location`), whatever distance it gives; a precise one must lie within the
    radius (`out_of_range`). Check-in at an activity and a volunteer's signing at an
    order's place both ask here; each words the refusal for its own page."""
    if accuracy_m > radius_m:
        return IMPRECISE
    if distance_m > radius_m:
        return OUT_OF_RANGE
    return None
