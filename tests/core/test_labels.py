"""Codes and figures in words (core.labels and the `words` template filters): distances
in metres below a kilometre and in kilometres from one, codes by their names."""

import pytest
from django.template import Context, Template

from dangjian.attendance import geo
from dangjian.core import labels


@pytest.mark.parametrize(
    ("meters", "words"),
    [
        (0, "0 米"),
        (12.4, "12 米"),
        (850, "850 米"),
        (999.4, "999 米"),
        (999.6, "1.0 公里"),
        (1000, "1.0 公里"),
        (1149, "1.1 公里"),
        (12_345, "12.3 公里"),
        (1_124_747, "1124.7 公里"),
        (None, ""),
    ],
)
def test_a_distance_reads_in_metres_below_a_kilometre_and_in_kilometres_from_one(meters, words):
    assert labels.distance(meters) == words
    assert Template("{% load words %}{{ d|distance }}").render(Context({"d": meters})) == words


def test_the_check_in_refusal_speaks_of_distance_as_the_pages_do():
    assert geo.describe(1_124_747) == labels.distance(1_124_747) == "1124.7 公里"


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        ("too_early", "refusal", "时间未到"),
        ("submit", "activity_event", "提交审核"),
        ("accept", "rectification_event", "验收通过"),
        ("dues.record", "audit", "登记党费缴纳"),
        ("sign_in", "score_component", "签到率"),
        ("far_from_venue", "photo_flag", "拍摄地点远离活动地点"),
        ("submitted", "themedays.Activity.status", "待审核"),
        ("", "refusal", ""),
    ],
)
def test_a_code_is_shown_by_its_name(code, kind, words):
    assert labels.label(code, kind) == words
    template = Template("{% load words %}{{ code|label:kind }}")
    assert template.render(Context({"code": code, "kind": kind})) == words


def test_an_audit_entrys_values_read_as_words():
    assert labels.audit_value("orglife.duesbase", "reasons", ["not_held", "low_sign_in"]) == (
        "未开展、签到率偏低"
    )
    assert labels.audit_field("orglife.duesbase", "monthly_amount") == "每月应交"
    assert labels.audit_value("x.y", "sha256", {"pdf": "ab" * 32}) == "PDF: " + "ab" * 6


def test_every_score_component_of_the_formula_has_its_name():
    from dangjian.scoring import formula

    assert list(labels.SCORE_COMPONENTS) == [*formula.COMPONENTS, *formula.OPTIONAL_COMPONENTS]
