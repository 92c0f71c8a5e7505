"""The permission matrix of organization life: the branch ledger and the historical
import, an activity's required items, the dues register and the dues records."""

from urllib.parse import urlsplit

import pytest
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from tests.permission_matrix.cases import ROLES, A, Expect, F, L, N, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db


# The branch ledger (台账) and the historical import ----------------------------------------
# A branch's ledger is asked for and downloaded by its own admins and the admins above it;
# a member of the branch reads the branch, so asking is 403 for them, and the ledger itself
# is missing to anyone who may not read it. Historical days are imported into a committee's
# branches by its admins (the branch's own admins cannot import their own past). The
# console is for admins (PAGE_OVERRIDES).

# fmt: off
LEDGER_MATRIX = [
    # role            request_a request_b download_a download_b import_a import_b
    ("city_admin",    A,        A,        A,         A,         A,       A),
    ("county_admin",  A,        N,        A,         N,         A,       N),
    ("branch_admin",  A,        N,        A,         N,         N,       N),
    ("member",        F,        N,        N,         N,         N,       N),
    ("outsider",      N,        N,        N,         N,         N,       N),
    ("anonymous",     L,        L,        L,         L,         L,       L),
]
# fmt: on
LEDGER_ACTIONS = ("request_a", "request_b", "download_a", "download_b", "import_a", "import_b")


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(LEDGER_MATRIX, LEDGER_ACTIONS),
)
def test_ledger_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    from dangjian.themedays.ledger import services as ledgers
    from dangjian.themedays.models import Activity, Ledger
    from tests.themedays.history_files import history_file, row

    settings.MEDIA_ROOT = tmp_path / "media"
    county = world.a if action.endswith("_a") else world.b
    ledger = None
    if action.startswith("download"):
        ledger = ledgers.request_ledger(actor=world.city_admin, branch=county.branch, year=2025)
        ledgers.build_ledger(ledger.pk)
    before = (Ledger.objects.count(), Activity.objects.count())
    upload = history_file([row("2026-03", county.branch.code, "三月", "2026-03-12", count=5)])
    user = ROLES[role](world)
    kind = action.removesuffix("_a").removesuffix("_b")
    if interface == "api":
        client = api(user)
        resp = {
            "request": lambda: client.post(f"/orgs/{county.branch.pk}/ledgers", {"year": 2026}),
            "download": lambda: client.get(f"/ledgers/{ledger.pk}/download"),
            "import": lambda: client.post(
                "/imports/history",
                {"file": upload, "org_id": county.org.pk},
                content_type=MULTIPART_CONTENT,
            ),
        }[kind]()
    else:
        client = page(user)
        resp = {
            "request": lambda: client.post(
                reverse("console:ledger_list", args=[county.branch.pk]), {"year": 2026}
            ),
            "download": lambda: client.get(reverse("console:ledger_download", args=[ledger.pk])),
            "import": lambda: client.post(
                reverse("console:history_import", args=[county.org.pk]), {"file": upload}
            ),
        }[kind]()
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 202, 302), resp.content
        after = (Ledger.objects.count(), Activity.objects.count())
        if kind == "request":
            assert after == (before[0] + 1, before[1])
        elif kind == "import":
            assert after == (before[0], before[1] + 1)
        else:
            assert b"".join(resp.streaming_content).startswith(b"PK")
        return
    assert_refused(resp, interface, expect)
    assert (Ledger.objects.count(), Activity.objects.count()) == before


# Organization life: required items' evidence, dues records, the dues register (issue 21) ---
# An activity's items are read by whoever reads the activity (its branch's members too) and
# marked by the admins over its branch. A branch's dues register is kept by the admins over
# it: its members read the branch but not the register (403), and only their own dues. The
# console is for admins (403 for the others).

# fmt: off
ORGLIFE_MATRIX = [
    # items: read, mark; register a: read, record a payment; member a's records: read,
    # cancel one; register b: read
    # role           items    mark  reg_a  record  rec_read  cancel  reg_b
    ("city_admin",   A,       A,    A,     A,      A,        A,      A),
    ("county_admin", A,       A,    A,     A,      A,        A,      N),
    ("branch_admin", A,       A,    A,     A,      A,        A,      N),
    ("member",       A,       F,    F,     N,      N,        N,      N),
    ("outsider",     N,       N,    N,     N,      N,        N,      N),
    ("anonymous",    L,       L,    L,     L,      L,        L,      L),
]
# fmt: on
ORGLIFE_ACTIONS = (
    "items_read",
    "items_mark",
    "register_read",
    "register_record",
    "record_read",
    "record_cancel",
    "register_b_read",
)
# record_read has no console page of its own (the register shows the records).
ORGLIFE_PAGE_ACTIONS = set(ORGLIFE_ACTIONS) - {"record_read"}


def _orglife_request(world, client, interface, action, activity, record):
    a, b = world.a.branch, world.b.branch
    member = world.a.member
    payment = {"month": "2026-12", "method": "cash", "amount": "5.00"}
    mark = {"is_done": True, "text": "会议记录"}
    if interface == "api":
        return {
            "items_read": lambda: client.get(f"/activities/{activity.pk}/items"),
            "items_mark": lambda: client._call(
                "put", f"/activities/{activity.pk}/items/org_life", mark
            ),
            "register_read": lambda: client.get(f"/orgs/{a.pk}/dues"),
            "register_record": lambda: client.post(f"/members/{member.pk}/dues", payment),
            "record_read": lambda: client.get(f"/members/{member.pk}/dues", {"year": 2026}),
            "record_cancel": lambda: client.post(f"/dues/{record.pk}/cancel", {"reason": "错"}),
            "register_b_read": lambda: client.get(f"/orgs/{b.pk}/dues"),
        }[action]()
    return {
        "items_read": lambda: client.get(reverse("console:activity_items", args=[activity.pk])),
        "items_mark": lambda: client.post(
            reverse("console:activity_item_save", args=[activity.pk, "org_life"]),
            {"is_done": "1", "text": "会议记录"},
        ),
        "register_read": lambda: client.get(reverse("console:dues_register", args=[a.pk])),
        "register_record": lambda: client.post(
            reverse("console:dues_record", args=[a.pk]), {"member_id": member.pk, **payment}
        ),
        "record_cancel": lambda: client.post(
            reverse("console:dues_cancel", args=[record.pk]), {"reason": "错"}
        ),
        "register_b_read": lambda: client.get(reverse("console:dues_register", args=[b.pk])),
    }[action]()


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(
        ORGLIFE_MATRIX,
        ORGLIFE_ACTIONS,
        page_actions=ORGLIFE_PAGE_ACTIONS,
    ),
)
def test_orglife_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    from datetime import timedelta

    import time_machine

    from dangjian.orglife import services as orglife
    from dangjian.orglife.models import DuesRecord, ItemEvidence
    from tests.interaction.conftest import approved_activity
    from tests.orglife.conftest import AFTER

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.API_TOKEN_TTL = timedelta(days=60)
    activity = approved_activity(world)
    with time_machine.travel(AFTER, tick=False):
        record = orglife.record_dues(
            actor=world.a.branch_admin,
            member=world.a.member,
            month="2026-11",
            method="cash",
            amount="5.00",
        )
        before = (ItemEvidence.objects.count(), DuesRecord.objects.count())
        user = ROLES[role](world)
        client = api(user) if interface == "api" else page(user)
        resp = _orglife_request(world, client, interface, action, activity, record)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 204, 302), resp.content[:500]
        if resp.status_code == 302:
            # A console form answers with a redirect whether it worked or not: it must have.
            assert urlsplit(resp["Location"]).path != reverse("portal:login")
        changed = {
            "items_mark": (1, 1),
            "register_record": (0, 2),
            "record_cancel": (0, 0),
        }.get(action, (0, 1))
        assert (ItemEvidence.objects.count(), DuesRecord.objects.count()) == changed
        return
    assert_refused(resp, interface, expect)
    assert (ItemEvidence.objects.count(), DuesRecord.objects.count()) == before
