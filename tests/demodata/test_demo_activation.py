"""The demo's member who is not activated yet: printed with the demo logins, and able to
get in by SMS code read from the console's outbox, as a newcomer following the demo does."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from dangjian.demodata import seeding
from dangjian.notifications.models import SmsMessage
from dangjian.registry.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_not_activated_member_who_activates_with_the_outbox_code(
    settings, django_capture_on_commit_callbacks
):
    settings.SMS_DEMO_OUTBOX = True
    out = StringIO()
    call_command("seed", "--scale", "demo", "--no-supervision", stdout=out)
    login = seeding.NOT_ACTIVATED
    last6 = seeding.not_activated_id_last6()
    assert login.phone in out.getvalue() and last6 in out.getvalue()
    user = User.objects.get(phone=login.phone)
    assert not user.has_usable_password() and user.member.branch.code == seeding.DEMO_BRANCH_CODE
    # Like a few imported members; most have activated during the demo's year.
    imported = list(
        User.objects.filter(member__isnull=False).exclude(phone__startswith="139000000")
    )
    waiting = [u for u in imported if not u.has_usable_password()]
    assert 0 < len(waiting) < 0.15 * len(imported)

    phone = Client()
    with django_capture_on_commit_callbacks(execute=True):
        phone.post("/m/activate/", {"phone": login.phone, "send": "1"})
    admin = Client()
    admin.force_login(User.objects.get(phone=seeding.DEMO_LOGINS[1].phone))
    outbox = admin.get("/console/sms-outbox/").content.decode()
    code = SmsMessage.objects.get(phone=login.phone).params["code"]
    assert code in outbox
    password = "Hanzhong-demo-2026"
    response = phone.post(
        "/m/activate/",
        {
            "phone": login.phone,
            "code": code,
            "id_last6": last6,
            "password": password,
            "password2": password,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(password)
