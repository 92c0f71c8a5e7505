"""Citizens' sign-in, the service menu and volunteer profiles over the API (issue 20,
points 1–3): POST /citizens/codes, /citizens/sign-in, GET /citizens/me, GET /volunteer/menu,
POST/PATCH /volunteer/menu-entries, GET/PUT /members/{id}/volunteer-profile and GET
/volunteer/profiles."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.notifications.models import SmsMessage
from dangjian.registry.models import User
from dangjian.volunteering.models import Citizen, ServiceCategory, VolunteerProfile
from tests.factories import next_phone
from tests.volunteering.conftest import make_category, make_citizen

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.SMS_DEMO_OUTBOX = True
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def citizen(world):
    return make_citizen(world.a.branch)


@pytest.fixture
def category(world):
    return make_category(world.a.org)


@pytest.fixture
def ask(api, django_capture_on_commit_callbacks):
    def post(phone, ip="10.0.0.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return api(None).post("/citizens/codes", {"phone": phone}, REMOTE_ADDR=ip)

    return post


def last_code(phone) -> str:
    return SmsMessage.objects.filter(phone=phone).order_by("-pk").first().params["code"]


def put(client, path, data):
    # The shared ApiClient has no put(): through its one request method.
    return client._call("put", path, data)


def sign_in(api, phone, code, **registration):
    return api(None).post("/citizens/sign-in", {"phone": phone, "code": code, **registration})


# Citizens ---------------------------------------------------------------------------------


def test_a_new_phone_registers_on_its_first_sign_in_and_gets_a_token(world, api, ask):
    phone = next_phone()
    assert ask(phone).status_code == 202
    code = last_code(phone)

    first = sign_in(api, phone, code)
    assert first.status_code == 409
    assert first.json()["code"] == "registration_required"

    response = sign_in(
        api, phone, code, name="李大爷", community_id=world.a.branch.pk, address="某村5组"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    made = Citizen.objects.get(user__phone=phone)
    assert body["citizen_id"] == made.pk and body["name"] == "李大爷"
    assert made.community == world.a.branch and made.address == "某村5组"
    assert not made.user.has_usable_password()
    assert AuditEntry.objects.filter(action="citizen.register", object_id=str(made.pk)).exists()
    me = api(None).get("/citizens/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["community_name"] == world.a.branch.name


def test_a_known_citizen_signs_in_without_registering_again(world, api, ask, citizen):
    ask(citizen.user.phone)

    response = sign_in(api, citizen.user.phone, last_code(citizen.user.phone), name="别人")

    assert response.status_code == 200
    assert response.json()["citizen_id"] == citizen.pk
    assert Citizen.objects.count() == 1
    citizen.user.refresh_from_db()
    assert citizen.user.name == "王大妈"


def test_the_send_step_answers_the_same_for_members_citizens_and_new_phones(world, api, ask):
    phones = [world.a.member.user.phone, make_citizen(world.a.branch).user.phone, next_phone()]

    answers = [ask(phone, ip=f"10.0.0.{i}") for i, phone in enumerate(phones)]

    assert {a.status_code for a in answers} == {202}
    assert len({a.content for a in answers}) == 1


def test_a_members_phone_never_becomes_a_citizen(world, api, ask):
    phone = world.a.member.user.phone
    ask(phone)

    response = sign_in(
        api, phone, last_code(phone), name="冒名", community_id=world.a.branch.pk, address="x"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "member_account"
    assert "党员登录" in response.json()["message"]
    assert not Citizen.objects.exists()
    assert User.objects.get(phone=phone).name == world.a.member.user.name


def test_a_refused_member_phone_is_audited(world, api, ask):
    phone = world.a.member.user.phone
    ask(phone)

    sign_in(api, phone, last_code(phone), name="x", community_id=world.a.branch.pk, address="x")

    entry = AuditEntry.objects.get(action="citizen.sign_in_refused")
    assert entry.actor == world.a.member.user and entry.after == {"reason": "member_account"}


def test_a_citizen_corrects_their_address_and_community(world, api, citizen):
    response = api(citizen.user).patch(
        "/citizens/me", {"address": "某社区2栋", "community_id": world.a.other_branch.pk}
    )

    assert response.status_code == 200
    assert response.json()["address"] == "某社区2栋"
    assert response.json()["name"] == "王大妈"
    citizen.refresh_from_db()
    assert citizen.community == world.a.other_branch
    entry = AuditEntry.objects.get(action="citizen.update")
    assert entry.after == {"community": world.a.other_branch.pk, "address": "某社区2栋"}


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_someone_who_is_not_a_citizen_has_no_record_to_correct(world, api, who):
    user = {"member": world.a.member.user, "outsider": world.outsider}[who]

    assert api(user).patch("/citizens/me", {"address": "x"}).status_code == 404


def test_an_admins_phone_never_becomes_a_citizen(world, api, ask):
    phone = world.a.admin.phone
    ask(phone)

    response = sign_in(
        api, phone, last_code(phone), name="x", community_id=world.a.branch.pk, address="x"
    )

    assert response.json()["code"] == "member_account"
    assert not Citizen.objects.exists()


def test_it_refuses_a_wrong_code_and_locks_after_five_tries(world, api, ask):
    phone = next_phone()
    ask(phone)
    code = last_code(phone)
    wrong = "000000" if code != "000000" else "111111"

    answers = [sign_in(api, phone, wrong).json()["code"] for _ in range(5)]
    last = sign_in(api, phone, code)

    assert answers == ["invalid_code"] * 5
    assert last.status_code == 429 and last.json()["code"] == "too_many_attempts"


def test_it_refuses_a_community_that_is_not_a_village_or_community(world, api, ask):
    phone = next_phone()
    ask(phone)

    response = sign_in(
        api, phone, last_code(phone), name="李", community_id=world.a.town.pk, address="x"
    )

    assert response.status_code == 422
    assert response.json()["field"] == "community"
    assert not User.objects.filter(phone=phone).exists()


def test_it_limits_how_often_a_phone_asks(world, api, ask):
    phone = next_phone()
    assert ask(phone).status_code == 202

    again = ask(phone, ip="10.0.0.2")

    assert again.status_code == 429 and again.json()["code"] == "too_many_requests"


@pytest.mark.parametrize("who", ["member", "admin", "outsider"])
def test_someone_who_is_not_a_citizen_has_no_citizen_record(world, api, who):
    user = {"member": world.a.member.user, "admin": world.a.admin, "outsider": world.outsider}[who]

    assert api(user).get("/citizens/me").status_code == 404


# The service menu -------------------------------------------------------------------------


def test_a_communitys_menu_holds_its_own_and_its_countys_active_entries(world, api, citizen):
    county = make_category(world.a.org, "送健康")
    own = make_category(world.a.branch, "微心愿")
    make_category(world.b.org, "别县的")
    retired = make_category(world.a.org, "停用的")
    retired.is_active = False
    retired.save()

    by_citizen = api(citizen.user).get("/volunteer/menu")
    by_member = api(world.a.member.user).get("/volunteer/menu", {"community_id": world.a.branch.pk})

    assert [e["id"] for e in by_citizen.json()] == [county.pk, own.pk]
    assert by_member.json() == by_citizen.json()


def test_the_menu_needs_a_community(world, api):
    assert api(world.a.member.user).get("/volunteer/menu").status_code == 422
    assert api(None).get("/volunteer/menu", {"community_id": world.a.branch.pk}).status_code == 401


@pytest.mark.parametrize(
    "who, org, status",
    [
        ("county_admin", "county", 201),
        ("branch_admin", "branch", 201),
        ("branch_admin", "county", 404),
        ("other_county_admin", "county", 404),
        ("member", "branch", 403),
        ("citizen", "branch", 404),
        ("outsider", "branch", 404),
        ("county_admin", "town", 422),
    ],
)
def test_who_may_add_a_menu_entry(world, api, citizen, who, org, status):
    users = {
        "county_admin": world.a.admin,
        "branch_admin": world.a.branch_admin,
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "citizen": citizen.user,
        "outsider": world.outsider,
    }
    orgs = {"county": world.a.org, "branch": world.a.branch, "town": world.a.town}

    response = api(users[who]).post(
        "/volunteer/menu-entries",
        {"org_id": orgs[org].pk, "name": "送技能", "skills": ["理发", "维修"]},
    )

    assert response.status_code == status, response.content
    assert ServiceCategory.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["skills"] == ["理发", "维修"]
        assert AuditEntry.objects.filter(action="menu_entry.create").count() == 1


def test_a_duplicate_name_in_one_menu_is_refused(world, api, category):
    response = api(world.a.admin).post(
        "/volunteer/menu-entries", {"org_id": world.a.org.pk, "name": category.name}
    )

    assert response.status_code == 409 and response.json()["code"] == "duplicate_name"


def test_a_deactivated_entry_leaves_the_menu_and_is_audited(world, api, citizen, category):
    response = api(world.a.admin).patch(
        f"/volunteer/menu-entries/{category.pk}", {"is_active": False}
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["name"] == category.name
    assert api(citizen.user).get("/volunteer/menu").json() == []
    entry = AuditEntry.objects.get(action="menu_entry.deactivate")
    assert entry.before == {"is_active": True} and entry.after == {"is_active": False}


@pytest.mark.parametrize("who", ["other_county_admin", "member", "citizen", "outsider"])
def test_only_the_admins_over_an_entry_change_it(world, api, citizen, category, who):
    user = {
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "citizen": citizen.user,
        "outsider": world.outsider,
    }[who]

    response = api(user).patch(f"/volunteer/menu-entries/{category.pk}", {"name": "改名"})

    assert response.status_code == 403  # every signed-in user reads the menu
    category.refresh_from_db()
    assert category.name == "送服务"


# Volunteer profiles -----------------------------------------------------------------------


def test_a_member_records_their_profile_and_reports_to_a_community(world, api):
    member = world.b.member

    response = put(
        api(member.user),
        f"/members/{member.pk}/volunteer-profile",
        {
            "skills": ["理发", "理发", " 维修 "],
            "availability": "周末",
            "community_id": world.a.branch.pk,
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["skills"] == ["理发", "维修"]
    assert body["community_id"] == world.a.branch.pk and body["reported_at"]
    assert AuditEntry.objects.filter(action="volunteer_profile.update").count() == 1
    # Reporting to A's community puts them in its admin's specialty database.
    listed = api(world.a.branch_admin).get("/volunteer/profiles", {"skill": "理发"}).json()
    assert [p["member_id"] for p in listed["items"]] == [member.pk]


@pytest.mark.parametrize(
    "who, status",
    [
        ("self", 200),
        ("county_admin", 200),
        ("branch_admin", 200),
        ("other_county_admin", 404),
        ("other_member", 404),
        ("citizen", 404),
        ("outsider", 404),
    ],
)
def test_who_reads_a_members_profile(world, api, citizen, who, status):
    user = {
        "self": world.a.member.user,
        "county_admin": world.a.admin,
        "branch_admin": world.a.branch_admin,
        "other_county_admin": world.b.admin,
        "other_member": world.a.flowing.user,
        "citizen": citizen.user,
        "outsider": world.outsider,
    }[who]

    response = api(user).get(f"/members/{world.a.member.pk}/volunteer-profile")

    assert response.status_code == status
    if status == 200:
        assert response.json()["skills"] == [] and response.json()["community_id"] is None


def test_an_admins_change_to_a_profile_is_audited_as_theirs(world, api):
    response = put(
        api(world.a.admin), f"/members/{world.a.member.pk}/volunteer-profile", {"skills": ["电工"]}
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="volunteer_profile.update")
    assert entry.actor == world.a.admin and entry.after == {"skills": ["电工"]}


def test_the_specialty_database_filters_by_skill_and_community(world, api):
    now = NOW
    for member, skills, community in [
        (world.a.member, ["理发"], None),
        (world.a.flowing, ["维修"], world.a.branch),
        (world.b.member, ["理发"], None),
    ]:
        VolunteerProfile.objects.create(
            member=member,
            skills=skills,
            community=community,
            reported_at=now if community else None,
            updated_at=now,
        )
    client = api(world.a.admin)

    by_skill = client.get("/volunteer/profiles", {"skill": "理发"}).json()
    by_community = client.get("/volunteer/profiles", {"community_id": world.a.branch.pk}).json()

    assert [p["member_id"] for p in by_skill["items"]] == [world.a.member.pk]
    assert [p["member_id"] for p in by_community["items"]] == [world.a.flowing.pk]
    assert api(world.outsider).get("/volunteer/profiles").json()["count"] == 0
    assert api(world.a.member.user).get("/volunteer/profiles").json()["count"] == 0
