"""The member's volunteer hours on their profile page: a card drawn from the ledger, so that
the profile view itself need not know of volunteering."""

from django import template

from dangjian.volunteering import hours

register = template.Library()
RECENT = 5


@register.inclusion_tag("mobile/volunteering/_hours_card.html")
def volunteer_hours(member):
    return {"totals": hours.totals_of(member), "entries": hours.entries_of(member)[:RECENT]}
