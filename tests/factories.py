"""Test data through the real services, so that tests exercise the same rules as users."""

import itertools
from datetime import date

import factory

from dangjian.registry import idcard, services
from dangjian.registry.models import Organization, OrgKind, Sector

_phones = itertools.count(13700000000)
_sequence = itertools.count(1)
PASSWORD = "Test-pass-2026"


def next_phone() -> str:
    return str(next(_phones))


def next_id_number(born: date = date(1985, 3, 14), male: bool = True) -> str:
    n = next(_sequence) % 500
    return idcard.make("610702", born, n * 2 + (1 if male else 0))


class MemberData(factory.DictFactory):
    name = factory.Faker("name", locale="zh_CN")
    gender = "male"
    birth_date = date(1985, 3, 14)
    id_number = factory.LazyFunction(next_id_number)
    phone = factory.LazyFunction(next_phone)
    join_date = date(2010, 7, 1)
    full_date = date(2011, 7, 1)
    status = "full"
    is_flowing = False
    flowing_location = ""


def make_org(
    actor,
    parent: Organization,
    name: str,
    kind: str = OrgKind.BRANCH,
    sector: str = Sector.RURAL,
    **kw,
) -> Organization:
    return services.create_organization(
        actor=actor, parent=parent, name=name, kind=kind, sector=sector, **kw
    )


def make_member(actor, branch: Organization, *, password: str | None = PASSWORD, **overrides):
    data = MemberData(**overrides)
    member = services.create_member(actor=actor, branch=branch, **data)
    if password:
        member.user.set_password(password)
        member.user.save(update_fields=["password"])
    return member


def make_admin(actor, org: Organization, name: str):
    member_branch = org if org.kind == OrgKind.BRANCH else None
    if member_branch is not None:
        member = make_member(actor, member_branch, name=name)
        user = member.user
    else:
        from dangjian.registry.models import User

        user = User.objects.create_user(phone=next_phone(), name=name, password=PASSWORD)
    services.grant_admin(actor=actor, org=org, user=user)
    return user
