"""The member home's glimpse of the branch's activities (the feed's newest few), so that a
flowing member far from home sees them first thing."""

from django import template

from dangjian.interaction import selectors

register = template.Library()

HOME_ACTIVITIES = 3


@register.inclusion_tag("mobile/partials/home_feed.html", takes_context=True)
def branch_activities(context):
    user = context["request"].user
    activities = list(selectors.feed_activities(user)[:HOME_ACTIVITIES])
    member = context.get("member")
    return {"activities": activities, "member": member, "request": context["request"]}
