"""The demo's SMS outbox in the console (短信发件箱): admins read the codes sent, only where
the demo shows it."""

import pytest

from dangjian.notifications import services

pytestmark = pytest.mark.django_db

URL = "/console/sms-outbox/"


@pytest.fixture
def sent(world, settings, django_capture_on_commit_callbacks):
    settings.SMS_DEMO_OUTBOX = True
    with django_capture_on_commit_callbacks(execute=True):
        services.send_sms(
            phone=world.a.member.user.phone,
            template="verification_code",
            params={"code": "482913", "minutes": 5},
        )


def test_an_admin_reads_the_codes_sent_in_the_demo(world, page, sent):
    for admin in (world.city_admin, world.a.admin, world.b.branch_admin):
        response = page(admin).get(URL)
        body = response.content.decode()
        assert response.status_code == 200
        assert "482913" in body and world.a.member.user.phone in body and "已发送" in body
        assert 'href="/console/sms-outbox/"' in body


def test_members_the_outsider_and_visitors_do_not(world, page, sent):
    assert page(world.a.member.user).get(URL).status_code == 403
    assert page(world.outsider).get(URL).status_code == 403
    response = page(None).get(URL)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_outside_the_demo_there_is_no_outbox(world, page, settings, sent):
    settings.SMS_DEMO_OUTBOX = False
    assert page(world.city_admin).get(URL).status_code == 404
    assert "/console/sms-outbox/" not in page(world.city_admin).get("/console/").content.decode()
