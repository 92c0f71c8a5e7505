"""core.coords against published reference pairs, without a database.

Hanzhong (汉中市汉台区) in the three systems, as the gcoord library's test-suite publishes
it: https://github.com/hujiulong/gcoord, test/fixtures/china-cities.json, entry "汉中市"
(there as [longitude, latitude]; here as (latitude, longitude)). Its WGS-84 values come from
a map service, whose GCJ-02 carries the formula's noise of up to about a metre, so a
conversion from or to WGS-84 is held to a metre; BD-09 and GCJ-02 differ by a formula
without noise, held to a decimetre.

The GCJ-02 formula itself, digit for digit: eviltransform's test-suite
(https://github.com/googollee/eviltransform, python/test.py, TESTS, "beijing")."""

import warnings

import pytest

from dangjian.attendance import geo
from dangjian.core import coords
from dangjian.core.errors import DomainError

HANZHONG = {
    coords.WGS84: (33.0693761, 107.0188197),
    coords.GCJ02: (33.0674824, 107.0233282),
    coords.BD09: (33.0736864, 107.0297571),
}
METRE = 1.0
DECIMETRE = 0.1


def _tolerance(a: str, b: str) -> float:
    return METRE if coords.WGS84 in (a, b) else DECIMETRE


@pytest.mark.parametrize("system", [coords.GCJ02, coords.BD09, coords.WGS84])
def test_a_hanzhong_position_comes_to_its_published_wgs84(system):
    latitude, longitude = coords.to_wgs84(*HANZHONG[system], system)
    distance = geo.distance_m(latitude, longitude, *HANZHONG[coords.WGS84])
    assert distance < _tolerance(system, coords.WGS84), distance


@pytest.mark.parametrize("system", [coords.GCJ02, coords.BD09, coords.WGS84])
def test_the_published_wgs84_of_hanzhong_goes_to_each_system(system):
    latitude, longitude = coords.from_wgs84(*HANZHONG[coords.WGS84], system)
    distance = geo.distance_m(latitude, longitude, *HANZHONG[system])
    assert distance < _tolerance(system, coords.WGS84), distance


def test_bd09_and_gcj02_of_hanzhong_are_a_decimetre_apart_at_most():
    # BD-09 → WGS-84 → BD-09 passes through GCJ-02 both ways.
    there = coords.from_wgs84(*coords.to_wgs84(*HANZHONG[coords.BD09], coords.BD09), coords.BD09)
    assert geo.distance_m(*there, *HANZHONG[coords.BD09]) < DECIMETRE
    wgs = coords.to_wgs84(*HANZHONG[coords.GCJ02], coords.GCJ02)
    assert geo.distance_m(*coords.from_wgs84(*wgs, coords.BD09), *HANZHONG[coords.BD09]) < DECIMETRE


def test_the_gcj02_formula_gives_the_published_digits():
    assert coords.from_wgs84(39.911954, 116.377817, coords.GCJ02) == pytest.approx(
        (39.91334545536069, 116.38404722455657), abs=1e-12
    )


def test_gcj02_and_wgs84_lie_about_500_metres_apart_in_hanzhong():
    # Why the system matters: the same numbers read in the other system miss the venue
    # by more than the default check-in radius (300 m).
    apart = geo.distance_m(*HANZHONG[coords.GCJ02], *HANZHONG[coords.WGS84])
    assert 450 < apart < 500


@pytest.mark.parametrize("system", [coords.GCJ02, coords.BD09])
@pytest.mark.parametrize("position", [(48.8584, 2.2945), (0.0, 0.0), (-33.8568, 151.2153)])
def test_a_position_outside_china_is_taken_as_it_is(system, position):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coords.to_wgs84(*position, system) == position
        assert coords.from_wgs84(*position, system) == position


@pytest.mark.parametrize("system", ["WGS84", "gcj-02", "baidu", "", None, 84, "wgs84 "])
def test_it_refuses_an_unknown_system(system):
    for convert in (coords.to_wgs84, coords.from_wgs84):
        with pytest.raises(DomainError) as refused:
            convert(33.07, 107.02, system)
        assert refused.value.code == "invalid_coord_system"
        assert refused.value.details["field"] == "coord_system"
        assert refused.value.details["allowed"] == ["wgs84", "gcj02", "bd09"]
