"""登记群众: a community's admin registers a resident on the console; the page offers only
the communities the admin keeps, and nobody else gets in (the outsider included)."""

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.volunteering.models import Citizen
from tests.factories import next_phone

pytestmark = pytest.mark.django_db

URL = "/console/volunteering/citizens/new/"


def _post(client, world, **over):
    data = {
        "name": "孙奶奶",
        "phone": next_phone(),
        "community": world.a.branch.pk,
        "address": "某村1组1号",
        **over,
    }
    return client.post(URL, data), data


def test_a_county_admin_registers_a_resident_of_a_village_it_keeps(world, page):
    client = page(world.a.admin)
    form = client.get(URL)
    assert form.status_code == 200
    html = form.content.decode()
    assert world.a.branch.name in html and world.b.branch.name not in html
    response, data = _post(client, world)
    assert response.status_code == 302
    citizen = Citizen.objects.get(user__phone=data["phone"])
    assert (citizen.community, citizen.user.name) == (world.a.branch, "孙奶奶")
    assert AuditEntry.objects.filter(action="citizen.register", actor=world.a.admin).exists()


def test_a_phone_in_use_is_refused_in_chinese_on_the_form(world, page):
    response, _data = _post(page(world.a.admin), world, phone=world.a.member.user.phone)
    assert response.status_code == 200
    assert "该手机号已注册" in response.content.decode()
    assert not Citizen.objects.exists()


def test_another_countys_admin_cannot_register_into_a_village_it_does_not_keep(world, page):
    response, _data = _post(page(world.b.admin), world)
    assert response.status_code == 200  # the form again: not one of its choices
    assert not Citizen.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("outsider", 403), ("anonymous", 302)]
)
def test_nobody_but_admins_opens_the_page(world, page, who, status):
    user = {"member": world.a.member.user, "outsider": world.outsider, "anonymous": None}[who]
    client = page(user)
    assert client.get(URL).status_code == status
    response, _data = _post(client, world)
    assert response.status_code == status
    assert not Citizen.objects.exists()
