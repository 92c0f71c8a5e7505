"""The permission matrix of organizations and members: for each role × object (in and out
of scope) × action, the expected answer, over both the console pages and the API. The
matrix's other tables (scoring, supervision, organization life, interaction) are this
package's other modules; what they all share is in cases.py.

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
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse

from dangjian.registry.imports import MEMBER_COLUMNS
from dangjian.registry.models import Member, Organization, RoleGrant
from tests.factories import next_id_number, next_phone
from tests.permission_matrix.cases import ROLES, A, Expect, F, L, N, _, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db

# The objects, all from the `world` fixture: county a's (in most roles' scope) and b's.
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


def objects_of(role: str) -> set[str]:
    """The objects the table has a row for, for `role`: each of them once."""
    return set(OBJECTS) | ({"self"} if role in OWN_RECORD else set())


@dataclass(frozen=True)
class Case:
    role: str
    obj: str
    action: str
    interface: str
    expect: Expect


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
    assert_refused(resp, "api", case.expect)
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
    assert_refused(resp, "page", case.expect)
    if case.expect is Expect.LOGIN:
        # The login page brings the caller back to the page they asked for.
        assert parse_qs(urlsplit(resp["Location"]).query)["next"] == [url]


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


@pytest.mark.parametrize(
    "role, obj, action, interface, expect",
    matrix_cases(MATRIX, ACTIONS),
)
def test_permission_matrix(world, api, page, role, obj, action, interface, expect):
    case = Case(role, obj, action, interface, expect)
    if case.interface == "api":
        _run_api(world, api, case)
    else:
        _run_page(world, page, case)
