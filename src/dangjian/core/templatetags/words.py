"""Codes and figures as people read them (core.labels): `{{ a.code|label:"refusal" }}`,
`{{ e.to_status|label:"themedays.Activity.status" }}`, `{{ photo.distance_m|distance }}`."""

from django import template

from dangjian.core import labels

register = template.Library()


@register.filter
def label(code, kind: str) -> str:
    return labels.label(code, kind)


@register.filter
def distance(meters) -> str:
    return labels.distance(meters)
