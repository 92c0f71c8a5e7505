"""The evidence check of a photo against its activity: was it taken during the activity
(± a tolerance) and near the venue (within the activity's radius)?

Both positions are taken as WGS-84, which is what phones write into EXIF and what the
browser's geolocation (used by check-in) reports."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dangjian.interaction.models import Evidence
from dangjian.themedays.models import Activity

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Assessment:
    evidence: str
    is_time_mismatch: bool
    is_location_mismatch: bool
    distance_m: int | None


def assess(
    activity: Activity,
    *,
    taken_at: datetime | None,
    latitude: Decimal | None,
    longitude: Decimal | None,
    tolerance: timedelta,
) -> Assessment:
    """Flagged when any fact present contradicts the activity; unverified when the photo
    says nothing (no capture time, no position); verified otherwise."""
    time_mismatch = taken_at is not None and not (
        activity.starts_at - tolerance <= taken_at <= activity.ends_at + tolerance
    )
    distance = None
    location_mismatch = False
    if latitude is not None and longitude is not None:
        distance = round(distance_m(latitude, longitude, activity.latitude, activity.longitude))
        location_mismatch = distance > activity.radius_m
    if time_mismatch or location_mismatch:
        evidence = Evidence.FLAGGED
    elif taken_at is None and distance is None:
        evidence = Evidence.UNVERIFIED
    else:
        evidence = Evidence.VERIFIED
    return Assessment(evidence, time_mismatch, location_mismatch, distance)
