"""The permission matrix: for each role × object (in and out of scope) × action, the
expected answer, over both the console pages and the API.

The expectations follow the rules in dangjian.permissions:
- an admin role on an organization reaches that organization and its whole subtree;
- a member reads only their own branch and their own member record, and changes nothing;
- anyone else reads nothing, and an object out of scope is answered as missing (404), so
  its existence is not revealed; an object that is readable but not to be acted on is 403;
- the console is for admins only: any logged-in user without an admin role gets 403 on
  every console page, whatever the object;
- anonymous callers get 401 `unauthenticated` from the API and a redirect to the login page.

Every refusal is also checked to have changed nothing in the database.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from enum import Enum
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from dangjian.registry.imports import MEMBER_COLUMNS
from dangjian.registry.models import Member, Organization, RoleGrant
from dangjian.scoring.models import ScoringPolicy
from dangjian.supervision import monthly_services
from dangjian.supervision.models import MonthlySheet
from tests.factories import next_id_number, next_phone

pytestmark = pytest.mark.django_db


class Expect(Enum):
    ALLOW = "allow"
    NOT_FOUND = "not_found"  # out of scope: 404, existence not revealed
    FORBIDDEN = "forbidden"  # readable, but the action is not allowed: 403
    LOGIN = "login"  # anonymous: API 401 `unauthenticated`, pages 302 to /login/


A, N, F, L = Expect.ALLOW, Expect.NOT_FOUND, Expect.FORBIDDEN, Expect.LOGIN
_ = None  # the action does not apply to the object

# The actors, all from the `world` fixture. The member is a plain member of branch a (the
# flowing one, so that member_a is a neighbour in the same branch rather than themself).
ROLES = {
    "city_admin": lambda w: w.city_admin,
    "county_admin": lambda w: w.a.admin,
    "branch_admin": lambda w: w.a.branch_admin,
    "member": lambda w: w.a.flowing.user,
    "outsider": lambda w: w.outsider,
    "anonymous": lambda w: None,
}
OBJECTS = {
    "org_a": lambda w: w.a.org,
    "org_b": lambda w: w.b.org,
    "branch_a": lambda w: w.a.branch,
    "branch_b": lambda w: w.b.branch,
    "member_a": lambda w: w.a.member,
    "member_b": lambda w: w.b.member,
}
# The role-holder's own member record, for the roles that have one.
OWN_RECORD = {
    "branch_admin": lambda w: w.a.branch_admin.member,
    "member": lambda w: w.a.flowing,
}

# What the API answers.
# fmt: off
MATRIX = [
    # role            object       read  change import grant
    ("city_admin",    "org_a",     A,    A,     A,     A),
    ("city_admin",    "org_b",     A,    A,     A,     A),
    ("city_admin",    "branch_a",  A,    A,     A,     A),
    ("city_admin",    "branch_b",  A,    A,     A,     A),
    ("city_admin",    "member_a",  A,    A,     _,     _),
    ("city_admin",    "member_b",  A,    A,     _,     _),

    ("county_admin",  "org_a",     A,    A,     A,     A),
    ("county_admin",  "org_b",     N,    N,     N,     N),
    ("county_admin",  "branch_a",  A,    A,     A,     A),
    ("county_admin",  "branch_b",  N,    N,     N,     N),
    ("county_admin",  "member_a",  A,    A,     _,     _),
    ("county_admin",  "member_b",  N,    N,     _,     _),

    ("branch_admin",  "org_a",     N,    N,     N,     N),
    ("branch_admin",  "org_b",     N,    N,     N,     N),
    ("branch_admin",  "branch_a",  A,    A,     A,     A),
    ("branch_admin",  "branch_b",  N,    N,     N,     N),
    ("branch_admin",  "member_a",  A,    A,     _,     _),
    ("branch_admin",  "member_b",  N,    N,     _,     _),
    ("branch_admin",  "self",      A,    A,     _,     _),

    ("member",        "org_a",     N,    N,     N,     N),
    ("member",        "org_b",     N,    N,     N,     N),
    ("member",        "branch_a",  A,    F,     F,     F),
    ("member",        "branch_b",  N,    N,     N,     N),
    ("member",        "member_a",  N,    N,     _,     _),
    ("member",        "member_b",  N,    N,     _,     _),
    ("member",        "self",      A,    F,     _,     _),

    ("outsider",      "org_a",     N,    N,     N,     N),
    ("outsider",      "org_b",     N,    N,     N,     N),
    ("outsider",      "branch_a",  N,    N,     N,     N),
    ("outsider",      "branch_b",  N,    N,     N,     N),
    ("outsider",      "member_a",  N,    N,     _,     _),
    ("outsider",      "member_b",  N,    N,     _,     _),

    ("anonymous",     "org_a",     L,    L,     L,     L),
    ("anonymous",     "org_b",     L,    L,     L,     L),
    ("anonymous",     "branch_a",  L,    L,     L,     L),
    ("anonymous",     "branch_b",  L,    L,     L,     L),
    ("anonymous",     "member_a",  L,    L,     _,     _),
    ("anonymous",     "member_b",  L,    L,     _,     _),
]
# fmt: on
ACTIONS = ("read", "change", "import", "grant")

# The console is closed to logged-in users without an admin role: 403 on every page, even
# for what the API would let them read (members use the mobile pages for that).
PAGE_OVERRIDES = {"member": F, "outsider": F}


@dataclass(frozen=True)
class Case:
    role: str
    obj: str
    action: str
    interface: str
    expect: Expect


def _cases() -> list:
    cases = []
    for role, obj, *answers in MATRIX:
        for action, api_answer in zip(ACTIONS, answers, strict=True):
            if api_answer is None:
                continue
            for interface in ("api", "page"):
                expect = api_answer
                if interface == "page":
                    expect = PAGE_OVERRIDES.get(role, api_answer)
                case = Case(role, obj, action, interface, expect)
                cases.append(pytest.param(case, id=f"{role}-{obj}-{action}-{interface}"))
    return cases


def test_the_matrix_covers_every_role_and_object():
    assert {row[0] for row in MATRIX} == set(ROLES)
    for role in ROLES:
        objects = {row[1] for row in MATRIX if row[0] == role}
        assert objects == set(OBJECTS) | ({"self"} if role in OWN_RECORD else set())
    assert len({(row[0], row[1]) for row in MATRIX}) == len(MATRIX)


# Resolving the table against the world ----------------------------------------------------


def _target(world, case: Case):
    if case.obj == "self":
        return OWN_RECORD[case.role](world)
    return OBJECTS[case.obj](world)


def _county_of(world, org: Organization):
    return world.b if org.path.startswith(world.b.org.path) else world.a


def _grantee(world, case: Case, org: Organization) -> Member:
    """Whom the actor tries to make an admin: someone they can see, so that any refusal is
    about the organization, not about the person."""
    if case.role == "member":
        return world.a.flowing
    if case.role == "city_admin":
        return _county_of(world, org).member
    return world.a.member


def _import_csv(world, org: Organization) -> tuple[bytes, str]:
    id_number = next_id_number()
    row = {
        "name": "矩阵党员",
        "id_number": id_number,
        "gender": "男",
        "birth_date": "1985-03-14",
        "phone": next_phone(),
        "branch": _county_of(world, org).branch.code,
        "join_date": "2010-07-01",
        "full_date": "2011-07-01",
        "status": "正式党员",
        "is_flowing": "否",
        "flowing_location": "",
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _field, title in MEMBER_COLUMNS])
    writer.writerow([row[field] for field, _title in MEMBER_COLUMNS])
    return out.getvalue().encode("utf-8-sig"), id_number


class Unchanged:
    """A snapshot of what the action would change, to prove that a refusal changed
    nothing."""

    def __init__(self, target):
        self.target = target
        self.state = self._state()

    def _state(self):
        if isinstance(self.target, Organization):
            org = Organization.objects.get(pk=self.target.pk)
            fields = (org.name, org.category, org.path)
            return fields, RoleGrant.objects.count(), Member.objects.count()
        member = Member.objects.get(pk=self.target.pk)
        return (member.name, member.flowing_location, member.branch_id), Member.objects.count()

    def check(self):
        assert self._state() == self.state, "a refused request changed the database"


# The API half ------------------------------------------------------------------------------


def _api_call(world, client, case: Case, target):
    if isinstance(target, Organization):
        if case.action == "read":
            return client.get(f"/orgs/{target.pk}"), None
        if case.action == "change":
            return client.patch(f"/orgs/{target.pk}", {"category": "x"}), None
        if case.action == "grant":
            grantee = _grantee(world, case, target)
            return client.post(f"/orgs/{target.pk}/admins", {"member_id": grantee.pk}), grantee
        if case.action == "import":
            content, id_number = _import_csv(world, target)
            data = {"file": SimpleUploadedFile("党员.csv", content), "org_id": target.pk}
            return client.post("/imports/members", data, content_type=MULTIPART_CONTENT), id_number
    if case.action == "read":
        return client.get(f"/members/{target.pk}"), None
    if case.action == "change":
        return client.patch(f"/members/{target.pk}", {"name": "矩阵改名"}), None
    raise AssertionError(f"no API request for {case}")


def _assert_api_allowed(case: Case, target, resp, extra):
    assert resp.status_code in (200, 201), resp.content
    body = resp.json()
    if case.action == "read":
        assert body["id"] == target.pk
    elif case.action == "change" and isinstance(target, Organization):
        assert Organization.objects.get(pk=target.pk).category == "x"
    elif case.action == "change":
        assert Member.objects.get(pk=target.pk).name == "矩阵改名"
    elif case.action == "grant":
        assert RoleGrant.objects.filter(org=target, user=extra.user).exists()
    elif case.action == "import":
        assert body == {"created": 1, "updated": 0}
        assert Member.objects.by_id_number(extra).get().branch.path.startswith(target.path)


def _run_api(world, api, case: Case):
    target = _target(world, case)
    client = api(ROLES[case.role](world))
    unchanged = Unchanged(target)
    resp, extra = _api_call(world, client, case, target)
    if case.expect is Expect.ALLOW:
        _assert_api_allowed(case, target, resp, extra)
        return
    status, code = {
        Expect.NOT_FOUND: (404, "not_found"),
        Expect.FORBIDDEN: (403, "forbidden"),
        Expect.LOGIN: (401, "unauthenticated"),
    }[case.expect]
    assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    unchanged.check()


# The page half -----------------------------------------------------------------------------


def _page_url(case: Case, target) -> str:
    """The page that shows the action (GET), and where its form posts (same URL)."""
    if isinstance(target, Organization):
        name = {
            "read": "console:org_detail",
            "change": "console:org_edit",
            "grant": "console:org_admins",
            "import": "console:import",
        }[case.action]
        return reverse(name, kwargs={"org_id": target.pk})
    name = {"read": "console:member_detail", "change": "console:member_edit"}[case.action]
    return reverse(name, kwargs={"member_id": target.pk})


def _page_post_data(world, case: Case, target) -> dict:
    if case.action == "change" and isinstance(target, Organization):
        return {"name": "矩阵改名", "category": "x", "kind": target.kind, "sector": target.sector}
    if case.action == "change":
        return {"name": "矩阵改名", "flowing_location": "矩阵"}
    if case.action == "grant":
        return {"phone": _grantee(world, case, target).user.phone}
    if case.action == "import":
        content, _id_number = _import_csv(world, target)
        return {"file": SimpleUploadedFile("党员.csv", content)}
    raise AssertionError(f"no form for {case}")


def _assert_page_refused(resp, case: Case, url: str):
    if case.expect is Expect.LOGIN:
        assert resp.status_code == 302
        location = urlsplit(resp["Location"])
        assert location.path == reverse("portal:login")
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[case.expect]


def _run_page(world, page, case: Case):
    target = _target(world, case)
    client = page(ROLES[case.role](world))
    url = _page_url(case, target)
    unchanged = Unchanged(target)
    resp = client.get(url)
    if case.expect is Expect.ALLOW:
        assert resp.status_code == 200
        return
    _assert_page_refused(resp, case, url)
    if case.action != "read":
        # The form's target refuses a POST just as the page refused to show it.
        resp = client.post(url, _page_post_data(world, case, target))
        _assert_page_refused(resp, case, url)
    unchanged.check()


@pytest.mark.parametrize("case", _cases())
def test_permission_matrix(world, api, page, case: Case):
    if case.interface == "api":
        _run_api(world, api, case)
    else:
        _run_page(world, page, case)


# The scoring policy -----------------------------------------------------------------------
# Not an object in anyone's scope but the city's rule: every admin reads its versions (each
# score names the one it used); only an admin of the root organization publishes one.

# fmt: off
POLICY_MATRIX = [
    # role            read  publish
    ("city_admin",    A,    A),
    ("county_admin",  A,    F),
    ("branch_admin",  A,    F),
    ("member",        F,    F),
    ("outsider",      F,    F),
    ("anonymous",     L,    L),
]
# fmt: on
POLICY_WEIGHTS = {"sign_in": 60, "flowing_like": 10, "upload": 10, "comment": 10, "superior": 10}


def _policy_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-policy-{action}-{interface}")
        for role, read, publish in POLICY_MATRIX
        for action, expect in (("read", read), ("publish", publish))
        for interface in ("api", "page")
    ]


def test_the_policy_matrix_covers_every_role():
    assert [row[0] for row in POLICY_MATRIX] == list(ROLES)


@pytest.mark.parametrize("role, action, interface, expect", _policy_cases())
def test_scoring_policy_permission_matrix(world, api, page, role, action, interface, expect):
    user = ROLES[role](world)
    url = reverse("console:dashboard_policy")
    if interface == "api":
        client = api(user)
        if action == "read":
            resp = client.get("/scoring/policies")
        else:
            resp = client.post("/scoring/policies", {"weights": POLICY_WEIGHTS})
    else:
        client = page(user)
        if action == "read":
            resp = client.get(url)
        else:
            data = {f"weight_{k}": v for k, v in POLICY_WEIGHTS.items()}
            data.update(upload_photos_target=4, upload_summary_chars=400, upload_photos_share=50)
            resp = client.post(url, data)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 302), resp.content
        if action == "publish":
            assert ScoringPolicy.objects.get().version == 2
        return
    if interface == "api":
        status, code = {
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == 403
    assert not ScoringPolicy.objects.exists()


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


def _record_review_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *answers in RECORD_REVIEW_MATRIX
        for action, expect in zip(RECORD_REVIEW_ACTIONS, answers, strict=True)
        for interface in ("api", "page")
    ]


def test_the_record_review_matrix_covers_every_role():
    assert [row[0] for row in RECORD_REVIEW_MATRIX] == list(ROLES)


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


@pytest.mark.parametrize("role, action, interface, expect", _record_review_cases())
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
        if verb != "resubmit":
            expect = PAGE_OVERRIDES.get(role, expect)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if verb != "read":
            status = RecordReview.objects.get(pk=review.pk).status
            assert status == ("passed" if verb == "decide" else "resubmitted")
        return
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
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


def _monthly_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, sheet_a, sheet_b, run in MONTHLY_SHEET_MATRIX
        for action, expect in (("sheet_a", sheet_a), ("sheet_b", sheet_b), ("run", run))
        for interface in ("api", "page")
    ]


def test_the_monthly_sheet_matrix_covers_every_role():
    assert [row[0] for row in MONTHLY_SHEET_MATRIX] == list(ROLES)


@pytest.mark.parametrize("role, action, interface, expect", _monthly_cases())
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
        expect = PAGE_OVERRIDES.get(role, expect)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if action == "run":
            assert MonthlySheet.objects.count() == before + 2
        else:
            assert b"".join(resp.streaming_content).startswith(b"%PDF")
        return
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
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


def _appraisal_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *expects in APPRAISAL_MATRIX
        for action, expect in zip(APPRAISAL_ACTIONS, expects, strict=True)
        for interface in ("api", "page")
    ]


def test_the_appraisal_matrix_covers_every_role():
    assert [row[0] for row in APPRAISAL_MATRIX] == list(ROLES)


@pytest.mark.parametrize("role, action, interface, expect", _appraisal_cases())
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
        expect = PAGE_OVERRIDES.get(role, expect)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 302), resp.content
        if action != "read":
            assert audited.count() == before + 1
        return
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
    assert audited.count() == before
    assert Appraisal.objects.get(pk=found.pk).status == "draft"


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


def _ledger_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *answers in LEDGER_MATRIX
        for action, expect in zip(LEDGER_ACTIONS, answers, strict=True)
        for interface in ("api", "page")
    ]


def test_the_ledger_matrix_covers_every_role():
    assert [row[0] for row in LEDGER_MATRIX] == list(ROLES)


@pytest.mark.parametrize("role, action, interface, expect", _ledger_cases())
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
        expect = PAGE_OVERRIDES.get(role, expect)
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
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
    assert (Ledger.objects.count(), Activity.objects.count()) == before


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


def _bulletin_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *answers in BULLETIN_MATRIX
        for action, expect in zip(BULLETIN_ACTIONS, answers, strict=True)
        for interface in ("api", "page")
    ]


def test_the_bulletin_matrix_covers_every_role():
    assert [row[0] for row in BULLETIN_MATRIX] == list(ROLES)


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


@pytest.mark.parametrize("role, action, interface, expect", _bulletin_cases())
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
        expect = PAGE_OVERRIDES.get(role, expect)
    resp = resp[action if action in ("publish", "correct", "generate") else "read"]()
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 302), resp.content
        if action in ("draft", "pub_a", "pub_b"):
            assert b"".join(resp.streaming_content).startswith(b"%PDF")
        else:
            assert states() != before
        return
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    elif action == "generate" and role in ("county_admin", "branch_admin"):
        # The console's form offers only the organizations they may generate for.
        assert resp.status_code == 200
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
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


def _award_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *answers in AWARD_MATRIX
        for action, expect in zip(AWARD_ACTIONS, answers, strict=True)
        for interface in ("api", "page")
    ]


def test_the_award_matrix_covers_every_role():
    assert [row[0] for row in AWARD_MATRIX] == list(ROLES)


@pytest.mark.parametrize("role, action, interface, expect", _award_cases())
def test_award_permission_matrix(world, api, page, role, action, interface, expect):
    import time_machine

    from tests.supervision import awards as award_world

    with time_machine.travel(award_world.MATRIX_NOW, tick=False):
        rounds = award_world.matrix_rounds(world)
        before = award_world.matrix_state(rounds)
        user = ROLES[role](world)
        client = api(user) if interface == "api" else page(user)
        if interface == "page":
            expect = PAGE_OVERRIDES.get(role, expect)
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
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]


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


def _orglife_cases() -> list:
    cases = []
    for role, *answers in ORGLIFE_MATRIX:
        for action, expect in zip(ORGLIFE_ACTIONS, answers, strict=True):
            for interface in ("api", "page"):
                if interface == "page" and action not in ORGLIFE_PAGE_ACTIONS:
                    continue
                if interface == "page":
                    expect = PAGE_OVERRIDES.get(role, expect)
                cases.append(
                    pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
                )
    return cases


def test_the_orglife_matrix_covers_every_role():
    assert [row[0] for row in ORGLIFE_MATRIX] == list(ROLES)


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


@pytest.mark.parametrize("role, action, interface, expect", _orglife_cases())
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
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
    assert (ItemEvidence.objects.count(), DuesRecord.objects.count()) == before


# Activity photos (issue 22) ------------------------------------------------------------------
# Photos are added to an activity's record by the admins over its branch and by the members
# who attended it (Action.CONTRIBUTE); removed by the admins over the branch and by their
# uploader. The matrix's member (the flowing one) did not attend: 403 on their branch's
# activity, 404 on the other county's. The console is for admins (PAGE_OVERRIDES).

# fmt: off
PHOTO_MATRIX = [
    # role            add_a add_b remove_a remove_b
    ("city_admin",    A,    A,    A,       A),
    ("county_admin",  A,    N,    A,       N),
    ("branch_admin",  A,    N,    A,       N),
    ("member",        F,    N,    F,       N),
    ("outsider",      N,    N,    N,       N),
    ("anonymous",     L,    L,    L,       L),
]
# fmt: on
PHOTO_ACTIONS = ("add_a", "add_b", "remove_a", "remove_b")


def _photo_cases() -> list:
    return [
        pytest.param(role, action, interface, expect, id=f"{role}-{action}-{interface}")
        for role, *answers in PHOTO_MATRIX
        for action, expect in zip(PHOTO_ACTIONS, answers, strict=True)
        for interface in ("api", "page")
    ]


def test_the_photo_matrix_covers_every_role():
    assert [row[0] for row in PHOTO_MATRIX] == list(ROLES)


def _held_with_a_photo(county):
    """An approved activity of the county's branch on right now, with one photo by its
    secretary."""
    from datetime import timedelta

    from dangjian.core import clock
    from dangjian.interaction import services as interaction
    from dangjian.themedays.models import Activity, ActivityStatus
    from tests.interaction.conftest import image_bytes

    now = clock.now()
    activity = Activity.objects.create(
        branch=county.branch,
        title="十二月主题党日",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=90),
        venue_address="村党员活动室",
        latitude="33.067800",
        longitude="107.023400",
        status=ActivityStatus.APPROVED,
        created_at=now - timedelta(days=7),
        updated_at=now - timedelta(days=7),
    )
    file = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    photo = interaction.upload_photo(actor=county.branch_admin, activity=activity, file=file)
    return activity, photo


@pytest.mark.parametrize("role, action, interface, expect", _photo_cases())
def test_photo_permission_matrix(
    world, api, page, settings, tmp_path, role, action, interface, expect
):
    from dangjian.interaction.models import Photo
    from tests.interaction.conftest import image_bytes, use_tmp_media

    use_tmp_media(settings, tmp_path)
    verb, side = action.split("_")
    activity, photo = _held_with_a_photo(world.a if side == "a" else world.b)
    before = sorted(Photo.objects.values_list("pk", flat=True))
    user = ROLES[role](world)

    def file():
        return SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")

    if interface == "api":
        client = api(user)
        resp = {
            "add": lambda: client.post(
                f"/activities/{activity.pk}/photos",
                {"file": file()},
                content_type=MULTIPART_CONTENT,
            ),
            "remove": lambda: client.delete(f"/photos/{photo.pk}"),
        }[verb]()
    else:
        client = page(user)
        resp = {
            "add": lambda: client.post(
                reverse("console:record_photos", args=[activity.pk]), {"photos": [file()]}
            ),
            "remove": lambda: client.post(reverse("console:record_photo_remove", args=[photo.pk])),
        }[verb]()
        expect = PAGE_OVERRIDES.get(role, expect)
    after = sorted(Photo.objects.values_list("pk", flat=True))
    if expect is Expect.ALLOW:
        assert resp.status_code in (201, 204, 302), resp.content[:500]
        if verb == "add":
            assert len(after) == len(before) + 1
        else:
            assert photo.pk not in after and len(after) == len(before) - 1
        return
    if interface == "api":
        status, code = {
            Expect.NOT_FOUND: (404, "not_found"),
            Expect.FORBIDDEN: (403, "forbidden"),
            Expect.LOGIN: (401, "unauthenticated"),
        }[expect]
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}[expect]
    assert after == before
