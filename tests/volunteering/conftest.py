"""The volunteer cloud call's test data on top of the shared world: county A's village
branch (`world.a.branch`, a community by volunteering.rules.is_community) with a service
menu, a citizen living there and orders in the states a test asks for."""

from datetime import timedelta
from decimal import Decimal

import pytest

from dangjian.core import clock
from dangjian.registry.models import User
from dangjian.volunteering.models import Citizen, Order, OrderState, ServiceCategory
from tests.factories import PASSWORD, next_phone

# A point in county A's village (Hanzhong), WGS-84.
PLACE = (Decimal("33.067800"), Decimal("107.023400"))


def make_citizen(community, name: str = "王大妈", phone: str | None = None) -> Citizen:
    now = clock.now()
    user = User.objects.create_user(phone=phone or next_phone(), name=name, password=PASSWORD)
    return Citizen.objects.create(
        user=user, community=community, address="某村3组12号", created_at=now, updated_at=now
    )


def make_category(org, name: str = "送服务", skills=("理发",)) -> ServiceCategory:
    now = clock.now()
    return ServiceCategory.objects.create(
        org=org,
        name=name,
        description=f"{name}上门",
        skills=list(skills),
        created_at=now,
        updated_at=now,
    )


def make_order(
    citizen: Citizen,
    category: ServiceCategory,
    *,
    state: str = OrderState.SUBMITTED,
    volunteers_needed: int = 1,
    starts_in: timedelta = timedelta(days=1),
    hours: int = 2,
    reviewer: User | None = None,
) -> Order:
    now = clock.now()
    published = state not in (OrderState.SUBMITTED, OrderState.CANCELLED, OrderState.DECLINED)
    return Order.objects.create(
        requester=citizen,
        community=citizen.community,
        reach=citizen.community,
        category=category,
        description="家里老人行动不便，需要上门理发",
        address=citizen.address,
        latitude=PLACE[0],
        longitude=PLACE[1],
        wanted_from=now + starts_in,
        wanted_until=now + starts_in + timedelta(hours=hours),
        volunteers_needed=volunteers_needed,
        state=state,
        decline_reason="不在服务范围" if state == OrderState.DECLINED else "",
        reviewed_by=reviewer,
        created_at=now,
        updated_at=now,
        published_at=now if published else None,
    )


@pytest.fixture
def citizen(world) -> Citizen:
    return make_citizen(world.a.branch)


@pytest.fixture
def category(world) -> ServiceCategory:
    return make_category(world.a.org)
