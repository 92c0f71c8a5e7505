"""The demo's volunteer cloud call (志愿云呼叫) in 红星村, the demo branch's village: the
county's service menu and the village's own entry, two citizens (one a demo login), the
volunteer profiles of the demo members (who report to the village: 双报到), and orders in
each state a visitor should see.

What happens now goes through the real services: the orders waiting for review, published,
declined and claimed. What happened last week (an order served, completed and rated, one
completed and waiting for its rating) is written as history, as `simulation` writes past
theme days: the services take their times from the server's clock only. Seeded once; a
second run changes nothing."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.core import clock
from dangjian.demodata.history import moved_clock
from dangjian.registry.models import Member, Organization, RoleGrant, User
from dangjian.volunteering import claims, hours, orders, services
from dangjian.volunteering.models import (
    Citizen,
    Claim,
    ClaimState,
    Order,
    OrderEvent,
    OrderState,
    ServiceCategory,
)

CITIZEN_PHONE = "13900000007"
CITIZEN_NAME = "陈桂兰"
NEIGHBOUR_PHONE = "13900000008"
MENU = [
    ("送技能", "党员志愿者上门理发、家电维修、农技指导。", ["理发", "家电维修", "农技指导"]),
    ("送服务", "代购药品和生活用品、陪同就医、代办事项。", ["代购", "陪诊", "代办"]),
    ("送健康", "量血压、测血糖、健康咨询。", ["量血压", "健康咨询"]),
    ("微心愿", "困难群众和留守儿童的小心愿，由党员认领实现。", []),
]
VILLAGE_ENTRY = ("果树修剪", "红星村猕猴桃园的冬季修剪指导。", ["农技指导"])
# The village's place (WGS-84): what the orders' positions are near.
PLACE = (Decimal("33.071200"), Decimal("107.028600"))


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _menu(county: Organization, village: Organization, admin: User) -> dict[str, ServiceCategory]:
    entries = {}
    for i, (name, description, skills) in enumerate(MENU):
        entries[name] = services.create_menu_entry(
            actor=admin, org=county, name=name, description=description, skills=skills, sort_order=i
        )
    name, description, skills = VILLAGE_ENTRY
    entries[name] = services.create_menu_entry(
        actor=admin, org=village, name=name, description=description, skills=skills, sort_order=9
    )
    return entries


def _profiles(village: Organization, secretary: User) -> list[Member]:
    members = list(Member.objects.filter(branch=village, is_active=True).order_by("pk")[:3])
    skills = [["理发", "量血压"], ["代购", "陪诊", "家电维修"], ["农技指导"]]
    for member, own in zip(members, skills, strict=False):
        services.update_volunteer_profile(
            actor=secretary,
            member=member,
            skills=own,
            availability="周末全天，工作日晚上",
            community_id=village.pk,
        )
    return members


def _order(citizen: User, category, description: str, *, days: int, hours_long: int = 2):
    start = _at(clock.today() + timedelta(days=days), 9)
    return orders.submit_order(
        actor=citizen,
        category=category,
        description=description,
        address="",
        latitude=PLACE[0],
        longitude=PLACE[1],
        wanted_from=start,
        wanted_until=start + timedelta(hours=hours_long),
    )


def _served(
    citizen: Citizen,
    category,
    description: str,
    volunteer: Member,
    *,
    days_ago: int,
    rating: int | None,
    reviewer: User,
) -> Order:
    """An order served `days_ago` days ago by `volunteer` for two hours: completed, and
    confirmed with `rating` when one is given; the hours in the ledger."""
    day = clock.today() - timedelta(days=days_ago)
    start, end = _at(day, 9), _at(day, 11)
    created = start - timedelta(days=1)
    order = Order.objects.create(
        requester=citizen,
        community=citizen.community,
        reach=citizen.community,
        category=category,
        description=description,
        address=citizen.address,
        latitude=PLACE[0],
        longitude=PLACE[1],
        wanted_from=start,
        wanted_until=end,
        volunteers_needed=1,
        claimed_count=1,
        state=OrderState.CONFIRMED if rating else OrderState.COMPLETED,
        reviewed_by=reviewer,
        created_at=created,
        updated_at=end,
        published_at=created + timedelta(hours=1),
        completed_at=end,
        completion_note="已按时完成服务，老人很满意。",
        confirmed_at=end + timedelta(hours=3) if rating else None,
        rating=rating,
        rating_comment="服务热情周到，感谢党员志愿者！" if rating else "",
    )
    claim = Claim.objects.create(
        order=order,
        member=volunteer,
        state=ClaimState.SIGNED_OUT,
        claimed_at=created + timedelta(hours=2),
        signed_in_at=start,
        signed_out_at=end,
        sign_in_distance_m=35,
        sign_out_distance_m=40,
        hours=Decimal("2.00"),
    )
    steps = [
        ("", OrderState.SUBMITTED, citizen.user, created),
        (OrderState.SUBMITTED, OrderState.PUBLISHED, reviewer, created + timedelta(hours=1)),
        (OrderState.PUBLISHED, OrderState.CLAIMED, volunteer.user, claim.claimed_at),
        (OrderState.CLAIMED, OrderState.IN_SERVICE, volunteer.user, start),
        (OrderState.IN_SERVICE, OrderState.COMPLETED, volunteer.user, end),
    ]
    if rating:
        steps.append((OrderState.COMPLETED, OrderState.CONFIRMED, citizen.user, order.confirmed_at))
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, from_state=a, to_state=b, actor=who, at=at)
        for a, b, who, at in steps
    )
    hours.credit_claim(claim=claim, recorded_by=volunteer.user)
    return order


@transaction.atomic
def seed_volunteering(*, village: Organization, county: Organization) -> bool:
    """Seed the demo's volunteer call once (False when it is there already)."""
    if Citizen.objects.filter(user__phone=CITIZEN_PHONE).exists():
        return False
    admin = RoleGrant.objects.filter(org=county).select_related("user").first().user
    secretary = RoleGrant.objects.filter(org=village).select_related("user").first().user
    menu = _menu(county, village, admin)
    volunteers = _profiles(village, secretary)
    chen = services.register_citizen(
        actor=secretary,
        phone=CITIZEN_PHONE,
        name=CITIZEN_NAME,
        community=village,
        address="红星村2组8号",
    )
    neighbour = services.register_citizen(
        actor=secretary,
        phone=NEIGHBOUR_PHONE,
        name="刘大爷",
        community=village,
        address="红星村5组3号",
    )
    _order(chen, menu["送服务"], "家里水管漏水，想请懂维修的党员帮忙看看。", days=2)
    published = _order(neighbour, menu["送健康"], "老伴高血压，想每周请人上门量一次血压。", days=3)
    orders.publish_order(actor=secretary, order=published, volunteers_needed=2, skills=["量血压"])
    declined = _order(neighbour, menu["送技能"], "想请人帮忙修理拖拉机发动机。", days=4)
    orders.decline_order(
        actor=secretary, order=declined, reason="村里暂无农机维修志愿者，已为您联系镇农机站。"
    )
    claimed = _order(chen, menu["送技能"], "腿脚不便，想请人上门理发。", days=1)
    claimed = orders.publish_order(
        actor=secretary, order=claimed, volunteers_needed=1, skills=["理发"]
    )
    if volunteers:
        claims.claim_order(actor=volunteers[0].user, order=claimed)
        citizen = chen.citizen
        _served(
            citizen,
            menu["送服务"],
            "陪同去镇卫生院复查。",
            volunteers[0],
            days_ago=6,
            rating=5,
            reviewer=secretary,
        )
        _served(
            citizen,
            menu["送健康"],
            "上门测血糖并讲解用药。",
            volunteers[-1],
            days_ago=2,
            rating=None,
            reviewer=secretary,
        )
        _the_year(chen.citizen, neighbour.citizen, menu, volunteers, secretary)
    return True


# What the village asked for over the year, one order served about every two weeks.
PAST_ORDERS = [
    ("送健康", "上门量血压，讲解冬季防寒保暖。"),
    ("送服务", "代购降压药和生活用品。"),
    ("送技能", "上门理发。"),
    ("微心愿", "孙子想要一套课外读物。"),
    ("送服务", "陪同去县医院复查。"),
    ("送技能", "修理电饭锅和台灯。"),
]
PAST_WEEKS = 50


def _the_year(chen, neighbour, menu, volunteers, secretary) -> None:
    """The orders served over the past year, as history (see `_served`): every other week
    one of the two residents' requests, served by a demo member in turn, and rated 4 or 5
    stars but for a few never confirmed."""
    today = clock.today()
    for k, weeks in enumerate(range(3, PAST_WEEKS, 2)):
        category, description = PAST_ORDERS[k % len(PAST_ORDERS)]
        day = today - timedelta(days=7 * weeks + k % 4)
        # The ledger records the hours as the service ends (its clock moved to then).
        with moved_clock(_at(day, 11) + timedelta(minutes=5)):
            _served(
                chen if k % 3 else neighbour,
                menu[category],
                description,
                volunteers[k % len(volunteers)],
                days_ago=0,
                rating=None if k % 7 == 6 else (4 if k % 5 == 4 else 5),
                reviewer=secretary,
            )
