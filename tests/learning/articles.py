"""Articles for the learning tests, made through the real services: a county's article
drafted by its admin and published by the city's, a city-wide one, a short one."""

from datetime import datetime
from zoneinfo import ZoneInfo

from dangjian.learning import services
from dangjian.learning.models import Column

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
LONG_BODY = "<p>" + "坚持和加强党的全面领导，推进全面从严治党。" * 40 + "</p>"
SHORT_BODY = "<p>支部书记要带头讲党课。</p>"


def column(code: str = "party_news") -> Column:
    return Column.objects.get(code=code)


def draft(world, *, county=None, title="学习贯彻全会精神", body=LONG_BODY, code="party_news"):
    """A draft of the county's organization (the city's with county=None) by its admin."""
    org, author = (world.city, world.city_admin) if county is None else (county.org, county.admin)
    return services.create_article(
        actor=author, org=org, column=column(code), title=title, body=body, source="人民网"
    )


def published(world, *, county=None, reviewer=None, **kwargs):
    """Drafted by the organization's admin, published by another admin (the city's for a
    county's article; for the city's own, county a's admin cannot, so a second city admin
    is made)."""
    article = draft(world, county=county, **kwargs)
    services.submit_article(actor=article.author, article=article)
    if reviewer is None:
        reviewer = world.city_admin if county is not None else second_city_admin(world)
    return services.publish_article(actor=reviewer, article=article)


def second_city_admin(world):
    from dangjian.registry import services as registry
    from dangjian.registry.models import User

    user = User.objects.filter(phone="13900000099").first()
    if user is None:
        user = User.objects.create_user(phone="13900000099", name="市委组织部审核员")
        registry.grant_admin(actor=world.city_admin, org=world.city, user=user)
    return user
