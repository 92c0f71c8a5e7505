"""Members' volunteer profiles (党员特长库, 双报到): the service, the phone page
/m/volunteer/profile/ and the console's specialty database."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.volunteering import people_selectors, services
from dangjian.volunteering.models import VolunteerProfile
from dangjian.volunteering.people_rules import clean_skills
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw, skills",
    [
        ("理发、家电维修", ["理发", "家电维修"]),
        ("理发, 理发，维修 ; 电工", ["理发", "维修", "电工"]),
        (["  理发 ", "", "理发"], ["理发"]),
        ("", []),
        (None, []),
    ],
)
def test_skills_are_short_labels_without_repeats(raw, skills):
    assert clean_skills(raw) == skills


@pytest.mark.parametrize("raw", [["很" * 21], [f"技能{i}" for i in range(21)]])
def test_too_long_a_skill_or_too_many_are_refused(raw):
    with pytest.raises(DomainError) as refused:
        clean_skills(raw)

    assert refused.value.details["field"] == "skills"


def update(actor, member, **changes):
    values = {"skills": [], "availability": "", "community_id": None, **changes}
    return services.update_volunteer_profile(actor=actor, member=member, **values)


def test_reporting_to_a_community_is_dated_and_cleared_with_it(world):
    member = world.a.member
    when = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(when, tick=False):
        profile = update(member.user, member, community_id=world.b.branch.pk)
    reported = profile.reported_at
    assert profile.community == world.b.branch and reported == when
    assert clock.now() > when

    again = update(member.user, member, skills=["理发"], community_id=world.b.branch.pk)
    assert again.reported_at == reported

    cleared = update(member.user, member)
    assert cleared.community is None and cleared.reported_at is None


@pytest.mark.parametrize("org", ["county", "town"])
def test_only_a_village_or_community_is_reported_to(world, org):
    target = {"county": world.a.org, "town": world.a.town}[org]

    with pytest.raises(DomainError) as refused:
        update(world.a.member.user, world.a.member, community_id=target.pk)

    assert refused.value.code == "validation_error"
    assert not VolunteerProfile.objects.exists()


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("self", True),
        ("county_admin", True),
        ("branch_admin", True),
        ("other_county_admin", False),
        ("other_member", False),
        ("outsider", False),
    ],
)
def test_who_may_change_a_profile(world, who, allowed):
    actor = {
        "self": world.a.member.user,
        "county_admin": world.a.admin,
        "branch_admin": world.a.branch_admin,
        "other_county_admin": world.b.admin,
        "other_member": world.a.flowing.user,
        "outsider": world.outsider,
    }[who]

    if allowed:
        update(actor, world.a.member, skills=["电工"])
        assert AuditEntry.objects.get(action="volunteer_profile.update").actor == actor
    else:
        with pytest.raises(DomainError) as refused:
            update(actor, world.a.member, skills=["电工"])
        assert refused.value.code in ("not_found", "forbidden")
        assert not VolunteerProfile.objects.exists()


def test_a_member_who_left_keeps_no_profile_changes(world):
    member = make_member(world.city_admin, world.a.branch, name="已离开")
    member.is_active = False
    member.left_at = date(2026, 1, 1)
    member.save()

    with pytest.raises(DomainError) as refused:
        update(world.a.admin, member, skills=["x"])

    assert refused.value.code == "member_left"


def test_the_specialty_database_lists_a_page_in_a_fixed_number_of_queries(
    world, django_assert_num_queries
):
    for i in range(12):
        member = make_member(world.city_admin, world.a.branch, name=f"党员{i}")
        update(member.user, member, skills=["理发"], community_id=world.a.branch.pk)

    with django_assert_num_queries(2):  # the admin's roles, the rows
        rows = list(people_selectors.profiles_in_scope(world.a.admin, skill="理发"))
        names = [(p.member.name, p.member.branch.name, p.community.name) for p in rows]

    assert len(names) == 12


# The phone page ----------------------------------------------------------------------------


def test_a_member_fills_their_profile_on_the_phone(world, page):
    client = page(world.a.member.user)
    assert "志愿服务资料" in client.get("/m/").content.decode()

    found = client.post("/m/volunteer/profile/", {"q": "南郑区某社区", "search": "1"})
    assert world.b.other_branch.name in found.content.decode()

    saved = client.post(
        "/m/volunteer/profile/",
        {"skills": "理发、维修", "availability": "周末", "community": world.b.other_branch.pk},
    )

    assert saved.status_code == 302
    profile = VolunteerProfile.objects.get(member=world.a.member)
    assert profile.skills == ["理发", "维修"] and profile.community == world.b.other_branch
    shown = client.get("/m/volunteer/profile/").content.decode()
    assert "理发、维修" in shown and world.b.other_branch.name in shown


def test_the_phone_page_shows_a_refusal_in_chinese(world, page):
    response = page(world.a.member.user).post(
        "/m/volunteer/profile/", {"skills": "很" * 21, "availability": "", "community": ""}
    )

    assert response.status_code == 422
    assert "每项技能不超过" in response.content.decode()


@pytest.mark.parametrize("who", ["admin_without_branch", "outsider", "citizen"])
def test_the_phone_page_is_for_members(world, page, citizen, who):
    user = {"admin_without_branch": world.a.admin, "outsider": world.outsider}.get(who)
    user = user or citizen.user

    response = page(user).get("/m/volunteer/profile/")

    assert "没有找到您的党员信息" in response.content.decode()


# The console -------------------------------------------------------------------------------


def test_the_console_lists_the_specialty_database_of_the_admins_scope(world, page):
    update(world.a.member.user, world.a.member, skills=["理发"])
    update(world.b.member.user, world.b.member, skills=["理发"], community_id=world.a.branch.pk)
    update(world.b.flowing.user, world.b.flowing, skills=["维修"])
    client = page(world.a.branch_admin)

    listed = client.get("/console/volunteering/profiles/").content.decode()
    by_skill = client.get("/console/volunteering/profiles/", {"skill": "维修"}).content.decode()

    assert world.a.member.name in listed and world.b.member.name in listed
    assert world.b.flowing.name not in listed
    assert world.b.member.name not in by_skill
    assert "党员特长库" in listed


def test_the_console_filters_the_specialty_database_by_community(world, page):
    update(world.a.member.user, world.a.member, skills=["理发"])
    update(world.a.flowing.user, world.a.flowing, community_id=world.a.other_branch.pk)

    listed = (
        page(world.a.admin)
        .get("/console/volunteering/profiles/", {"community": world.a.other_branch.pk})
        .content.decode()
    )

    assert world.a.flowing.name in listed and world.a.member.name not in listed


def test_a_community_that_is_not_a_plain_number_filters_nothing(world, page):
    update(world.a.flowing.user, world.a.flowing, community_id=world.a.other_branch.pk)

    response = page(world.a.admin).get("/console/volunteering/profiles/", {"community": "²"})

    assert response.status_code == 200
    assert world.a.flowing.name in response.content.decode()


@pytest.mark.parametrize("who", ["member", "outsider", "citizen"])
def test_the_specialty_database_is_for_admins(world, page, citizen, who):
    user = {"member": world.a.member.user, "outsider": world.outsider}.get(who) or citizen.user

    assert page(user).get("/console/volunteering/profiles/").status_code == 403
