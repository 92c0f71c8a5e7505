"""The permission matrix of supervision: record reviews, the monthly sheets, the annual
appraisal, the quarterly bulletins and the quarterly awards."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.supervision import monthly_services
from dangjian.supervision.models import MonthlySheet
from tests.permission_matrix.cases import ROLES, A, Expect, F, L, N, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db


# Record review (退回补充) ---------------------------------------------------------------
# A record's review is read by the admins over its branch; passed or sent back by the
# admins above the branch (on the record's activity, which the branch's own people read:
# 403 for them); resubmitted by the branch's own admins (on the phone), 403 for the admins
# above who read it. The console is for admins (PAGE_OVERRIDES); the phone page answers
# non-admins as the API does.

# fmt: off
RECORD_REVIEW_MATRIX = [
    # role            read_a read_b decide_a decide_b resubmit_a resubmit_b
    ("city_admin",    A,     A,     A,       A,       F,         F),
    ("county_admin",  A,     N,     A,       N,       F,         N),
    ("branch_admin",  A,     N,     F,       N,       A,         N),
    ("member",        N,     N,     F,       N,       N,         N),
    ("outsider",      N,     N,     N,       N,       N,         N),
    ("anonymous",     L,     L,     L,       L,       L,         L),
]
# fmt: on
RECORD_REVIEW_ACTIONS = ("read_a", "read_b", "decide_a", "decide_b", "resubmit_a", "resubmit_b")


def _record_review(world, county, *, resubmitted: bool):
    from datetime import date, timedelta

    from dangjian.core import clock
    from dangjian.supervision import reviews
    from tests.scoring.conftest import make_activity

    activity = make_activity(county.branch, date(2026, 12, 1))
    review = reviews.send_back_record(
        actor=county.admin,
        activity=activity,
        reason="缺少现场照片",
        deadline=clock.today() + timedelta(days=3),
    )
    if resubmitted:
        review = reviews.resubmit_record(actor=county.branch_admin, review=review)
    return review


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(
        RECORD_REVIEW_MATRIX,
        RECORD_REVIEW_ACTIONS,
        phone_actions={"resubmit_a", "resubmit_b"},
    ),
)
def test_record_review_permission_matrix(world, api, page, role, action, interface, expect):
    from dangjian.supervision.models import RecordReview, RecordReviewEvent

    verb, side = action.split("_")
    county = world.a if side == "a" else world.b
    # Decided once resubmitted; resubmitted while sent back.
    review = _record_review(world, county, resubmitted=verb == "decide")
    activity_id = review.activity_id
    before = (RecordReviewEvent.objects.count(), RecordReview.objects.get(pk=review.pk).status)
    user = ROLES[role](world)
    if interface == "api":
        client = api(user)
        resp = {
            "read": lambda: client.get(f"/record-reviews/{review.pk}"),
            "decide": lambda: client.post(f"/activities/{activity_id}/record-review/pass", {}),
            "resubmit": lambda: client.post(f"/record-reviews/{review.pk}/resubmit", {}),
        }[verb]()
    else:
        client = page(user)
        console = reverse("console:record_review", args=[activity_id])
        phone = reverse("mobile:record", args=[review.pk])
        resp = {
            "read": lambda: client.get(console),
            "decide": lambda: client.post(console, {"action": "pass"}),
            "resubmit": lambda: client.post(phone, {"action": "resubmit"}),
        }[verb]()
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if verb != "read":
            status = RecordReview.objects.get(pk=review.pk).status
            assert status == ("passed" if verb == "decide" else "resubmitted")
        return
    assert_refused(resp, interface, expect)
    after = (RecordReviewEvent.objects.count(), RecordReview.objects.get(pk=review.pk).status)
    assert after == before


# Monthly supervision sheets (一月一督查) ---------------------------------------------------
# A county's sheet is read (downloaded) by the admins of the county and above; to anyone else
# it is missing (the console: 403 for users with no admin role). Making a finished month's
# sheets by hand is the city's.

# fmt: off
MONTHLY_SHEET_MATRIX = [
    # role            sheet_a  sheet_b  run
    ("city_admin",    A,       A,       A),
    ("county_admin",  A,       N,       F),
    ("branch_admin",  N,       N,       F),
    ("member",        N,       N,       F),
    ("outsider",      N,       N,       F),
    ("anonymous",     L,       L,       L),
]
# fmt: on
MONTHLY_SHEET_ACTIONS = ("sheet_a", "sheet_b", "run")


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(MONTHLY_SHEET_MATRIX, MONTHLY_SHEET_ACTIONS),
)
def test_monthly_sheet_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    settings.MEDIA_ROOT = tmp_path / "media"
    run = monthly_services.run_monthly_supervision(actor=world.city_admin, month=date(2026, 1, 1))
    sheet = {s.county_id: s for s in run.made}[
        world.a.org.pk if action == "sheet_a" else world.b.org.pk
    ]
    before = MonthlySheet.objects.count()
    user = ROLES[role](world)
    if interface == "api":
        client = api(user)
        if action == "run":
            resp = client.post("/supervision/monthly-sheets/run", {"month": "2026-02"})
        else:
            resp = client.get(f"/supervision/monthly-sheets/{sheet.pk}/pdf")
    else:
        client = page(user)
        if action == "run":
            resp = client.post(reverse("console:monthly_run"), {"month": "2026-02"})
        else:
            resp = client.get(reverse("console:monthly_sheet_pdf", args=[sheet.pk]))
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if action == "run":
            assert MonthlySheet.objects.count() == before + 2
        else:
            assert b"".join(resp.streaming_content).startswith(b"%PDF")
        return
    assert_refused(resp, interface, expect)
    assert MonthlySheet.objects.count() == before


# Annual appraisal (一年一考核) -------------------------------------------------------------
# The city's appraisal is read by every admin inside the city; a county's part is proposed
# by the admins over that county (the city's included), missing to anyone else; a grade is
# changed (with a reason) and the whole confirmed by the city's admins, 403 for the admins
# who read it. The console is for admins (PAGE_OVERRIDES).

# fmt: off
APPRAISAL_MATRIX = [
    # role            read  propose_a propose_b city_grade confirm
    ("city_admin",    A,    A,        A,        A,         A),
    ("county_admin",  A,    A,        N,        F,         F),
    ("branch_admin",  A,    N,        N,        F,         F),
    ("member",        N,    N,        N,        N,         N),
    ("outsider",      N,    N,        N,        N,         N),
    ("anonymous",     L,    L,        L,        L,         L),
]
# fmt: on
APPRAISAL_ACTIONS = ("read", "propose_a", "propose_b", "city_grade", "confirm")


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(APPRAISAL_MATRIX, APPRAISAL_ACTIONS),
)
def test_appraisal_permission_matrix(world, api, page, role, action, interface, expect):
    from dangjian.audit.models import AuditEntry
    from dangjian.supervision import appraisal
    from dangjian.supervision.models import Appraisal, AppraisalEntry

    found = appraisal.generate_appraisal(actor=world.city_admin, org=world.city, year=2026)
    entry = AppraisalEntry.objects.get(appraisal=found, branch=world.a.branch)
    county = world.b.org if action == "propose_b" else world.a.org
    audited = AuditEntry.objects.filter(action__startswith="appraisal.")
    before = audited.count()
    user = ROLES[role](world)
    if interface == "api":
        client = api(user)
        resp = {
            "read": lambda: client.get(f"/appraisals/{found.pk}"),
            "propose_a": lambda: client.post(
                f"/appraisals/{found.pk}/counties/{county.pk}/proposal", {"grades": []}
            ),
            "city_grade": lambda: client.post(
                f"/appraisal-entries/{entry.pk}/city-grade", {"grade": "average", "reason": "核实"}
            ),
            "confirm": lambda: client.post(f"/appraisals/{found.pk}/confirm"),
        }[action.replace("_b", "_a")]()
    else:
        client = page(user)
        resp = {
            "read": lambda: client.get(reverse("console:appraisal", args=[found.pk])),
            "propose_a": lambda: client.post(
                reverse("console:appraisal_county", args=[found.pk, county.pk]), {}
            ),
            "city_grade": lambda: client.post(
                reverse("console:appraisal_entry_grade", args=[entry.pk]),
                {"grade": "average", "reason": "核实"},
            ),
            "confirm": lambda: client.post(reverse("console:appraisal_confirm", args=[found.pk])),
        }[action.replace("_b", "_a")]()
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if action != "read":
            assert audited.count() == before + 1
        return
    assert_refused(resp, interface, expect)
    assert audited.count() == before
    assert Appraisal.objects.get(pk=found.pk).status == "draft"


# Quarterly bulletins (一季一通报) ------------------------------------------------------------
# A draft is read, published and corrected by the admins of its organization (and above);
# once published it is read by everyone in the subtree: its admins and members (an admin or
# member under it who may not change it gets 403 on a change). Outside the subtree it is
# missing. Generating is for the admins of the organization. The console is for admins
# (PAGE_OVERRIDES).

# fmt: off
BULLETIN_MATRIX = [
    # role            draft  pub_a  pub_b  publish correct generate
    ("city_admin",    A,     A,     A,     A,      A,      A),
    ("county_admin",  N,     A,     N,     N,      A,      N),
    ("branch_admin",  N,     A,     N,     N,      F,      N),
    ("member",        N,     A,     N,     N,      F,      N),
    ("outsider",      N,     N,     N,     N,      N,      N),
    ("anonymous",     L,     L,     L,     L,      L,      L),
]
# fmt: on
BULLETIN_ACTIONS = ("draft", "pub_a", "pub_b", "publish", "correct", "generate")


def _bulletin(world, org, *, published: bool):
    """A bulletin of `org` for 2026-Q4 with a small stand-in PDF (the matrix is about who
    reaches it, not what it says), published through the service or left a draft."""
    import hashlib

    from django.core.files.base import ContentFile

    from dangjian.core import clock
    from dangjian.supervision import bulletins
    from dangjian.supervision.models import Bulletin, BulletinFile

    found = Bulletin.objects.create(
        org=org, year=2026, quarter=4, title=f"{org.name} 2026-Q4", generated_at=clock.now()
    )
    for kind, content in (("pdf", b"%PDF-1.4 matrix"), ("xlsx", b"PK matrix")):
        stored = BulletinFile(
            bulletin=found,
            kind=kind,
            name=f"b.{kind}",
            content_type="application/pdf" if kind == "pdf" else "application/zip",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=clock.now(),
        )
        stored.file.save(f"matrix.{kind}", ContentFile(content), save=False)
        stored.save()
    if published:
        found = bulletins.publish_bulletin(actor=world.city_admin, bulletin=found)
    return found


def _on_commit(call, *args):
    """`call(*args)` with what it queues on commit run, as in a request outside a test."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args)


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(BULLETIN_MATRIX, BULLETIN_ACTIONS),
)
def test_bulletin_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    from dangjian.supervision.models import Bulletin

    settings.MEDIA_ROOT = tmp_path / "media"
    draft = _bulletin(world, world.city, published=False)
    pub = {
        "pub_a": _bulletin(world, world.a.org, published=True),
        "pub_b": _bulletin(world, world.b.org, published=True),
    }
    target = {"draft": draft, "publish": draft, "correct": pub["pub_a"]}.get(action) or pub.get(
        action
    )
    states = lambda: list(Bulletin.objects.order_by("pk").values_list("pk", "status"))  # noqa: E731
    before = states()
    user = ROLES[role](world)
    if interface == "api":
        client = api(user)
        resp = {
            "read": lambda: client.get(f"/bulletins/{target.pk}/files/pdf"),
            "publish": lambda: client.post(f"/bulletins/{target.pk}/publish"),
            "correct": lambda: client.post(f"/bulletins/{target.pk}/correct", {"reason": "更正"}),
            "generate": lambda: client.post(
                f"/orgs/{world.city.pk}/bulletins", {"period": "2025-Q4"}
            ),
        }
    else:
        client = page(user)
        url = reverse("console:bulletin_file", args=[target.pk, "pdf"]) if target else ""
        resp = {
            "read": lambda: client.get(url),
            "publish": lambda: client.post(
                reverse("console:bulletin_step", args=[target.pk, "publish"])
            ),
            "correct": lambda: client.post(
                reverse("console:bulletin_step", args=[target.pk, "correct"]), {"reason": "更正"}
            ),
            # The console's generation is a job whose task runs once the click commits.
            "generate": lambda: _on_commit(
                client.post,
                reverse("console:bulletin_list"),
                {"org": world.city.pk, "period": "2025-Q4"},
            ),
        }
    resp = resp[action if action in ("publish", "correct", "generate") else "read"]()
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 302), resp.content
        if action in ("draft", "pub_a", "pub_b"):
            assert b"".join(resp.streaming_content).startswith(b"%PDF")
        else:
            assert states() != before
        return
    if interface == "page" and action == "generate" and role in ("county_admin", "branch_admin"):
        # The console's form offers only the organizations they may generate for.
        assert resp.status_code == 200
    else:
        assert_refused(resp, interface, expect)
    assert states() == before


# Quarterly awards (季度评选) -----------------------------------------------------------------
# A round is the city's: its admins move it on and select; a county's admins nominate in it
# and read it, as do the branches' admins inside the city; members read nothing of it until
# it is published, then its results and a winner's certificate. Outsiders read nothing.
# `results` and `certificate` are of a published round; the rest of a running one (the
# selection: of one still selecting).

# fmt: off
AWARD_MATRIX = [
    # role            read  advance nominate select results certificate
    ("city_admin",    A,    A,      A,       A,     A,      A),
    ("county_admin",  A,    F,      A,       F,     A,      A),
    ("branch_admin",  A,    F,      N,       F,     A,      A),
    ("member",        N,    N,      N,       N,     A,      A),
    ("outsider",      N,    N,      N,       N,     N,      N),
    ("anonymous",     L,    L,      L,       L,     L,      L),
]
# fmt: on
AWARD_ACTIONS = ("read", "advance", "nominate", "select", "results", "certificate")


@pytest.mark.parametrize(
    "role, action, interface, expect",
    matrix_cases(AWARD_MATRIX, AWARD_ACTIONS),
)
def test_award_permission_matrix(world, api, page, role, action, interface, expect):
    import time_machine

    from tests.supervision import awards as award_world

    with time_machine.travel(award_world.MATRIX_NOW, tick=False):
        rounds = award_world.matrix_rounds(world)
        before = award_world.matrix_state(rounds)
        user = ROLES[role](world)
        client = api(user) if interface == "api" else page(user)
        resp = award_world.matrix_call(world, rounds, client, interface, action)
        after = award_world.matrix_state(rounds)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 302), resp.content[:500]
        if interface == "page" and resp.status_code == 302:
            assert not any(m.level_tag == "error" for m in resp.wsgi_request._messages)
        if action in ("advance", "nominate", "select"):
            assert after != before
        else:
            assert after == before
        if action == "certificate":
            assert resp.content.startswith(b"%PDF-")
        return
    assert after == before
    assert_refused(resp, interface, expect)
